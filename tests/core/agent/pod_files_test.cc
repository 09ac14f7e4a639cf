// Unit tests of core/agent/pod_files.h: DNS config per dnsPolicy (with dnsConfig merging) and
// the managed /etc/hosts.
#include "core/agent/pod_files.h"

#include <gtest/gtest.h>

namespace capstan::agent {
namespace {

using nlohmann::json;

json PodWith(const json& spec) {
  return {{"metadata", {{"name", "web-0"}, {"namespace", "shop"}}}, {"spec", spec}};
}

struct DnsCase {
  std::string name;
  json spec;
  bool cluster_dns;
  std::string want;
};

TEST(PodDnsConfigTest, FollowsDnsPolicy) {
  DnsSettings dns;
  dns.cluster_domain = "cluster.local";
  dns.node_resolv_conf = "nameserver 192.0.2.53\nsearch corp.example\noptions rotate\n";
  for (const DnsCase& c : std::vector<DnsCase>{
           {"ClusterFirst", json::object(), true,
            "search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\n"
            "nameserver 10.96.0.10\noptions ndots:5\n"},
           {"ClusterFirst without cluster DNS falls back to the node", json::object(), false,
            "search corp.example\nnameserver 192.0.2.53\noptions rotate\n"},
           {"Default",
            {{"dnsPolicy", "Default"}},
            true,
            "search corp.example\nnameserver 192.0.2.53\noptions rotate\n"},
           {"hostNetwork with ClusterFirst uses the node",
            {{"hostNetwork", true}},
            true,
            "search corp.example\nnameserver 192.0.2.53\noptions rotate\n"},
           {"ClusterFirstWithHostNet",
            {{"hostNetwork", true}, {"dnsPolicy", "ClusterFirstWithHostNet"}},
            true,
            "search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\n"
            "nameserver 10.96.0.10\noptions ndots:5\n"},
           {"None with dnsConfig",
            {{"dnsPolicy", "None"},
             {"dnsConfig",
              {{"nameservers", {"1.1.1.1"}},
               {"searches", {"a.example"}},
               {"options", json::array({{{"name", "ndots"}, {"value", "2"}}})}}}},
            true,
            "search a.example\nnameserver 1.1.1.1\noptions ndots:2\n"},
           {"ClusterFirst merges dnsConfig options by name",
            {{"dnsConfig",
              {{"options",
                json::array({{{"name", "ndots"}, {"value", "1"}}, {{"name", "edns0"}}})}}}},
            true,
            "search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\n"
            "nameserver 10.96.0.10\noptions ndots:1 edns0\n"},
       }) {
    dns.cluster_dns =
        c.cluster_dns ? std::vector<std::string>{"10.96.0.10"} : std::vector<std::string>{};
    EXPECT_EQ(ResolvConfText(PodDnsConfig(PodWith(c.spec), dns)), c.want) << c.name;
  }
}

TEST(HostsFileTest, ListsThePodAndItsAliases) {
  json pod = PodWith(
      {{"hostAliases", json::array({{{"ip", "10.1.2.3"}, {"hostnames", {"foo.local", "bar"}}}})}});
  std::string hosts = HostsFileText(pod, "10.244.0.9", "cluster.local", "");
  EXPECT_EQ(hosts.rfind("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n", 0), 0u);
  EXPECT_NE(hosts.find("10.244.0.9\tweb-0\n"), std::string::npos);
  EXPECT_NE(hosts.find("# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar\n"),
            std::string::npos);
  json sub = PodWith({{"hostname", "h"}, {"subdomain", "s"}});
  EXPECT_NE(
      HostsFileText(sub, "10.0.0.1", "c.local", "").find("10.0.0.1\th.s.shop.svc.c.local\th\n"),
      std::string::npos);
  json host_net = PodWith({{"hostNetwork", true}});
  EXPECT_EQ(HostsFileText(host_net, "192.0.2.1", "cluster.local", "127.0.0.1 node"),
            "127.0.0.1 node\n");
}

}  // namespace
}  // namespace capstan::agent
