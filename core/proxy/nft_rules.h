// Pure generation of the proxy's nftables script text: the whole table (`FullTableScript`) and
// per-service-port deltas (`RulesDelta`), both meant for one `nft -f -` transaction
// (nft_runner.h). Input: service_model.h. Table layout (all in `ip <table>`):
//   maps  services (VIP . proto . port -> goto svc-*), nodeports (proto . port -> goto ext-*|drop),
//         backends (group << 12 | index -> ip . port), no-endpoints, no-endpoint-nodeports
//   base  nat-prerouting / nat-output (jump dispatch), nat-postrouting (masquerade marked),
//         filter-input / filter-forward / filter-output (reject services without endpoints),
//         backend-dnat (the one rule per protocol that looks up @backends by ct mark)
//   per service port  svc-<id> (mark; ct mark = numgen random over the port's group; goto
//         backend-dnat), ext-<id> (NodePort), and with sessionAffinity ep-<id>/<ip>/<port>
//         chains and aff-<id>/<ip>/<port> dynamic sets.
// Why one shared map looked up by one rule: the kernel validates every element of a data map
// against every rule bound to it, so 10k rules over one 100k-element map take minutes, and 10k
// per-service maps cost O(n^2) in set allocation. The ct mark of a service connection's first
// packet is therefore the proxy's scratch register (nothing else here uses it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/proxy/service_model.h"

namespace capstan::proxy {

// `backends` keys: the group in the high bits, the endpoint index in the low `kEndpointBits`.
inline constexpr uint32_t kEndpointBits = 12;
inline constexpr size_t kMaxEndpoints = size_t{1} << kEndpointBits;  // more are not used
// NodePort endpoints of a Local policy port live in group `group | kLocalGroup`.
inline constexpr uint32_t kLocalGroup = 1u << 19;
inline constexpr uint32_t kMaxGroups = kLocalGroup;

struct RulesConfig {
  std::string table = "capstan-proxy";
  // Pod addresses of the cluster. Empty: masquerade all service traffic (works on any bridge
  // without br_netfilter). Set: masquerade only traffic from outside it, hairpin traffic and
  // NodePort traffic of Cluster policy (as kube-proxy with --cluster-cidr).
  std::string cluster_cidr;
  uint32_t masquerade_mark = 0x4000;
};

// The nft objects of one service port, rendered from its state. Chains map to their rule
// lines; sets to their declaration body; elements are (map, "key : value").
struct PortRules {
  std::map<std::string, std::vector<std::string>> chains;
  std::map<std::string, std::string> sets;
  std::vector<std::pair<std::string, std::string>> elements;
};

PortRules RenderPort(const RulesConfig& config, const ServicePortState& state);

// The script that atomically replaces table `config.table` with the given service ports.
std::string FullTableScript(const RulesConfig& config,
                            const std::vector<const ServicePortState*>& ports);

// The script that deletes the table (fails in nft when the table does not exist).
std::string DeleteTableScript(const RulesConfig& config);

// Accumulates the changes of several service ports into one transaction: all removals (map
// elements, then rule flushes, chains and sets) come before all additions, so that a key moving
// from one service to another (a reused NodePort) never collides. Not thread-safe.
class RulesDelta {
 public:
  explicit RulesDelta(const RulesConfig& config) : config_(config) {}
  // Adds what turns `before` into `after`; either may be null (created / deleted port).
  // Unchanged chains and elements produce nothing.
  void Add(const ServicePortState* before, const ServicePortState* after);
  bool empty() const;
  // The script; empty when nothing changed.
  std::string Script() const;

 private:
  const RulesConfig& config_;
  std::string delete_elements_, flush_chains_, delete_chains_, delete_sets_;
  std::string add_sets_, add_chains_, add_rules_, add_elements_;
};

}  // namespace capstan::proxy
