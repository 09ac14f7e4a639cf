// The per-pod files the kubelet writes and mounts into every container: the managed
// /etc/hosts (pod IP and hostname, hostAliases), /etc/resolv.conf from the pod's dnsPolicy and
// dnsConfig, and the sandbox's DNS config. Implementation in pod_files.cc; tests in
// tests/core/agent/pod_files_test.cc. Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace capstan::agent {

struct DnsSettings {
  std::vector<std::string> cluster_dns;  // nameserver IPs; empty: no cluster DNS
  std::string cluster_domain = "cluster.local";
  // The node's resolver config text (contents of /etc/resolv.conf), for dnsPolicy Default and
  // for pods on the host network.
  std::string node_resolv_conf;
};

// {"servers", "searches", "options"} per upstream's DNS configurer: ClusterFirst (the default;
// also ClusterFirstWithHostNet, and for hostNetwork pods only that one) -> cluster DNS, search
// `<ns>.svc.<domain> svc.<domain> <domain>` then the node's searches, options ndots:5; Default
// (or ClusterFirst without cluster DNS) -> the node's config; None -> only dnsConfig. The pod's
// dnsConfig nameservers, searches and options are merged in as upstream does.
nlohmann::json PodDnsConfig(const nlohmann::json& pod, const DnsSettings& dns);

// resolv.conf text for a DNS config as PodDnsConfig returns it.
std::string ResolvConfText(const nlohmann::json& dns_config);

// The kubelet-managed hosts file: localhost entries, `<pod_ip> <hostname>` (or the FQDN
// `<hostname>.<subdomain>.<ns>.svc.<domain> <hostname>` with spec.subdomain) and hostAliases.
// hostNetwork pods get `node_hosts` (the node's /etc/hosts) plus the aliases.
std::string HostsFileText(const nlohmann::json& pod, const std::string& pod_ip,
                          const std::string& cluster_domain, const std::string& node_hosts);

// The pod's hostname: spec.hostname, else metadata.name (truncated to 63 characters).
std::string PodHostname(const nlohmann::json& pod);

}  // namespace capstan::agent
