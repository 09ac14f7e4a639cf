// The NetworkPolicy model of the node's enforcer: Pods, Namespaces and networking.k8s.io/v1
// NetworkPolicies parsed from their JSON, and `EvaluatePod`, which turns them into what one
// local pod may receive and send (`PodPolicy`), with upstream's semantics. Pure; rendered into
// nftables by nft_script.h. Tests: tests/core/netpol/policy_model_test.cc.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "core/selector/label_selector.h"

namespace capstan::netpol {

using Labels = std::map<std::string, std::string, std::less<>>;

// A named containerPort of a pod (resolves named ports in policies).
struct NamedPort {
  std::string name;
  std::string protocol;  // "tcp", "udp", "sctp"
  int port = 0;
};

struct PodInfo {
  std::string ns, name;
  std::string node;  // spec.nodeName
  std::string ip;    // the IPv4 address of status.podIP(s); empty: none yet
  bool host_network = false;
  bool terminal = false;  // phase Succeeded or Failed: its address may belong to another pod
  Labels labels;
  std::vector<NamedPort> named_ports;
};

struct NamespaceInfo {
  std::string name;
  Labels labels;  // always includes kubernetes.io/metadata.name
};

// One entry of a rule's `ports`. `port` 0 and `name` empty: every port of `protocol`.
struct PolicyPort {
  std::string protocol = "tcp";
  int port = 0, end_port = 0;  // end_port 0: just `port`
  std::string name;            // a named port (then `port` is 0)
};

// One entry of a rule's `from` / `to`: selectors (either may be absent) or an ipBlock.
struct PolicyPeer {
  bool has_pod_selector = false, has_namespace_selector = false;
  selector::LabelSelector pod_selector, namespace_selector;
  std::string cidr;  // ipBlock when non-empty
  std::vector<std::string> except;
};

struct PolicyRule {
  std::vector<PolicyPeer> peers;  // empty: every peer
  std::vector<PolicyPort> ports;  // empty: every port
};

struct PolicyInfo {
  std::string ns, name;
  selector::LabelSelector pod_selector;
  // policyTypes; when absent, Ingress always and Egress when the policy has egress rules.
  bool ingress = true, egress = false;
  std::vector<PolicyRule> ingress_rules, egress_rules;
};

// Never fail: objects come validated from the API server; a selector that does not parse
// selects nothing, an unknown protocol or a malformed port is dropped (allows nothing).
PodInfo ParsePod(const nlohmann::json& pod);
NamespaceInfo ParseNamespace(const nlohmann::json& ns);
PolicyInfo ParsePolicy(const nlohmann::json& policy);

// What the enforcer knows of the cluster, keyed by "ns/name" (namespaces by name).
struct ClusterView {
  std::map<std::string, PodInfo> pods;
  std::map<std::string, NamespaceInfo> namespaces;
  std::map<std::string, PolicyInfo> policies;
};

// A port or range of one protocol; `first` 0 means every port.
struct PortMatch {
  std::string protocol;
  int first = 0, last = 0;
  friend bool operator==(const PortMatch&, const PortMatch&) = default;
  friend bool operator<(const PortMatch& a, const PortMatch& b) {
    return std::tie(a.protocol, a.first, a.last) < std::tie(b.protocol, b.first, b.last);
  }
};

struct AddressBlock {
  std::string cidr;
  std::vector<std::string> except;
  friend bool operator==(const AddressBlock&, const AddressBlock&) = default;
};

// One allowed (peers x ports) combination, after selector and named-port resolution. The
// peer is the source for ingress and the destination for egress; ports are destination ports.
struct AllowRule {
  bool any_peer = false;             // `from`/`to` empty
  std::vector<std::string> pod_ips;  // peers chosen by selectors; sorted, unique
  std::vector<AddressBlock> blocks;  // ipBlocks
  bool any_port = false;             // `ports` empty
  std::vector<PortMatch> ports;      // sorted, unique
  // Egress named ports, resolved against each destination pod: (ip, protocol, port).
  std::vector<std::tuple<std::string, std::string, int>> ip_ports;
};

struct PodPolicy {
  std::string key;  // "ns/name"
  std::string ip;
  bool ingress_isolated = false, egress_isolated = false;
  std::vector<AllowRule> ingress, egress;  // unions over every policy selecting the pod
};

// The policy of `pod` (its own namespace's policies that select it), upstream semantics:
// isolated for a direction when any selecting policy has that policy type; then only what
// some rule of those policies allows passes.
PodPolicy EvaluatePod(const ClusterView& view, const PodInfo& pod);

// `EvaluatePod` for every pod of `node` that has an address and is on the pod network (not
// hostNetwork, not terminal); keyed by pod IP (one pod per address: the first by "ns/name").
std::map<std::string, PodPolicy> EvaluateNode(const ClusterView& view, const std::string& node);

}  // namespace capstan::netpol
