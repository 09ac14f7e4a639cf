// Tests for core/dns/cluster_dns.h: a real in-process API server (tests/core/client
// test_cluster.h), informers of Services and EndpointSlices, and `dig` against the DNS server:
// records follow objects created, changed and deleted through the API.
#include "core/dns/cluster_dns.h"

#include <gtest/gtest.h>
#include <stdio.h>

#include <string>

#include "tests/core/client/test_cluster.h"

namespace capstan::dns {
namespace {

using client::testing::Eventually;
using client::testing::TestCluster;
using nlohmann::json;

std::string Dig(uint16_t port, const std::string& args) {
  std::string cmd =
      "dig @127.0.0.1 -p " + std::to_string(port) + " +time=2 +tries=1 +short " + args + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[256];
  while (fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  pclose(p);
  return out;
}

TEST(ClusterDnsTest, RecordsFollowServicesAndEndpointSlicesInTheApi) {
  TestCluster cluster;
  auto client = cluster.NewClient();
  json svc = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", "web"}, {"namespace", "default"}}},
      {"spec",
       {{"clusterIP", "10.96.7.7"}, {"ports", json::array({{{"name", "http"}, {"port", 80}}})}}}};
  ASSERT_TRUE(client->Create("/api/v1/namespaces/default/services", svc).ok());
  json headless = svc;
  headless["metadata"]["name"] = "db";
  headless["spec"]["clusterIP"] = "None";
  ASSERT_TRUE(client->Create("/api/v1/namespaces/default/services", headless).ok());

  DnsServerOptions options;
  options.port = 0;
  auto dns = ClusterDns::Start(options, client.get());
  ASSERT_TRUE(dns.ok()) << dns.status().ToString();
  uint16_t port = (*dns)->port();
  EXPECT_EQ(Dig(port, "web.default.svc.cluster.local"), "10.96.7.7\n");
  EXPECT_EQ(Dig(port, "db.default.svc.cluster.local"), "");

  json slice = {{"apiVersion", "discovery.k8s.io/v1"},
                {"kind", "EndpointSlice"},
                {"metadata",
                 {{"name", "db-1"},
                  {"namespace", "default"},
                  {"labels", {{"kubernetes.io/service-name", "db"}}}}},
                {"addressType", "IPv4"},
                {"endpoints", json::array({{{"addresses", json::array({"10.244.1.5"})},
                                            {"conditions", {{"ready", true}}}}})}};
  ASSERT_TRUE(
      client->Create("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", slice).ok());
  EXPECT_TRUE(
      Eventually([&] { return Dig(port, "db.default.svc.cluster.local") == "10.244.1.5\n"; }));

  ASSERT_TRUE(client->Delete("/api/v1/namespaces/default/services/web").ok());
  EXPECT_TRUE(Eventually([&] { return Dig(port, "web.default.svc.cluster.local").empty(); }))
      << Dig(port, "+noshort web.default.svc.cluster.local");
  (*dns)->Stop();
}

}  // namespace
}  // namespace capstan::dns
