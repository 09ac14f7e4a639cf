// Per-pod /etc/hosts and resolv.conf (pod_files.h), after the kubelet's network/dns configurer
// and managed hosts file.
#include "core/agent/pod_files.h"

#include <sstream>

namespace capstan::agent {
namespace {

using nlohmann::json;

struct Resolv {
  std::vector<std::string> servers, searches, options;
};

Resolv ParseResolv(const std::string& text) {
  Resolv r;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, word;
    ls >> key;
    if (key == "nameserver" && ls >> word) r.servers.push_back(word);
    if (key == "search" || key == "domain") {
      r.searches.clear();
      while (ls >> word) r.searches.push_back(word);
    }
    if (key == "options") {
      while (ls >> word) r.options.push_back(word);
    }
  }
  return r;
}

void AddUnique(std::vector<std::string>* list, const std::string& v) {
  for (const std::string& e : *list) {
    if (e == v) return;
  }
  list->push_back(v);
}

// Options merge by name (the pod's win), as upstream's mergeDNSOptions.
void MergeOption(std::vector<std::string>* list, const std::string& opt) {
  std::string name = opt.substr(0, opt.find(':'));
  for (std::string& e : *list) {
    if (e.substr(0, e.find(':')) == name) {
      e = opt;
      return;
    }
  }
  list->push_back(opt);
}

}  // namespace

json PodDnsConfig(const json& pod, const DnsSettings& dns) {
  const json spec = pod.value("spec", json::object());
  std::string policy = spec.value("dnsPolicy", "ClusterFirst");
  bool host_net = spec.value("hostNetwork", false);
  Resolv node = ParseResolv(dns.node_resolv_conf);
  Resolv out;
  bool cluster = (policy == "ClusterFirstWithHostNet") || (policy == "ClusterFirst" && !host_net);
  if (cluster && dns.cluster_dns.empty()) cluster = false;  // upstream falls back to Default
  if (policy == "None") {
    // only dnsConfig below
  } else if (cluster) {
    std::string ns = pod["metadata"].value("namespace", "default");
    out.servers = dns.cluster_dns;
    out.searches = {ns + ".svc." + dns.cluster_domain, "svc." + dns.cluster_domain,
                    dns.cluster_domain};
    for (const std::string& s : node.searches) AddUnique(&out.searches, s);
    out.options = {"ndots:5"};
  } else {
    out = node;
  }
  if (spec.contains("dnsConfig") && spec["dnsConfig"].is_object()) {
    const json& c = spec["dnsConfig"];
    for (const json& s : c.value("nameservers", json::array())) AddUnique(&out.servers, s);
    for (const json& s : c.value("searches", json::array())) AddUnique(&out.searches, s);
    for (const json& o : c.value("options", json::array())) {
      std::string opt = o.value("name", "");
      if (o.contains("value") && o["value"].is_string()) opt += ":" + o["value"].get<std::string>();
      if (!opt.empty()) MergeOption(&out.options, opt);
    }
  }
  if (out.servers.size() > 3) out.servers.resize(3);  // the resolver reads three at most
  if (out.searches.size() > 32) out.searches.resize(32);
  return {{"servers", out.servers}, {"searches", out.searches}, {"options", out.options}};
}

std::string ResolvConfText(const json& c) {
  std::string out;
  auto words = [&](const char* key) {
    std::string line;
    for (const json& w : c.value(key, json::array())) line += " " + w.get<std::string>();
    return line;
  };
  if (!words("searches").empty()) out += "search" + words("searches") + "\n";
  for (const json& s : c.value("servers", json::array())) {
    out += "nameserver " + s.get<std::string>() + "\n";
  }
  if (!words("options").empty()) out += "options" + words("options") + "\n";
  return out;
}

std::string PodHostname(const json& pod) {
  std::string h = pod.value("spec", json::object()).value("hostname", "");
  if (h.empty()) h = pod["metadata"].value("name", "");
  if (h.size() > 63) h.resize(63);
  while (!h.empty() && (h.back() == '-' || h.back() == '.')) h.pop_back();
  return h;
}

std::string HostsFileText(const json& pod, const std::string& pod_ip,
                          const std::string& cluster_domain, const std::string& node_hosts) {
  const json spec = pod.value("spec", json::object());
  std::string out;
  if (spec.value("hostNetwork", false)) {
    out = node_hosts;
    if (!out.empty() && out.back() != '\n') out += "\n";
  } else {
    out =
        "# Kubernetes-managed hosts file.\n"
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "fe00::0\tip6-mcastprefix\n"
        "fe00::1\tip6-allnodes\n"
        "fe00::2\tip6-allrouters\n";
    std::string host = PodHostname(pod);
    std::string sub = spec.value("subdomain", "");
    if (!pod_ip.empty()) {
      if (sub.empty()) {
        out += pod_ip + "\t" + host + "\n";
      } else {
        std::string ns = pod["metadata"].value("namespace", "default");
        out += pod_ip + "\t" + host + "." + sub + "." + ns + ".svc." + cluster_domain + "\t" +
               host + "\n";
      }
    }
  }
  const json aliases = spec.value("hostAliases", json::array());
  if (!aliases.empty()) {
    out += "\n# Entries added by HostAliases.\n";
    for (const json& a : aliases) {
      out += a.value("ip", "");
      for (const json& h : a.value("hostnames", json::array())) out += "\t" + h.get<std::string>();
      out += "\n";
    }
  }
  return out;
}

}  // namespace capstan::agent
