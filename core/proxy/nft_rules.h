// Pure generation of the proxy's nftables script text: the whole table (`FullTableScript`) and
// per-service-port deltas (`RulesDelta`), both meant for one `nft -f -` transaction
// (nft_runner.h). Input: service_model.h. Table layout (all in `ip <table>`):
//   maps  services (VIP . proto . port -> goto pick-<n> | svc-<id>), backends (VIP . proto .
//         port . index -> ip . port), nodeports (proto . port -> goto ext-*|drop),
//         nodeport-backends (group << 12 | index -> ip . port), no-endpoints,
//         no-endpoint-nodeports; with a cluster CIDR the set hairpin (ip . ip of every endpoint)
//   base  nat-prerouting / nat-output (jump dispatch), nat-postrouting (masquerade marked and
//         hairpin connections), filter-input / -forward / -output (reject services without
//         endpoints), backend-dnat (mark; DNAT by @backends), nodeport-dnat (DNAT by ct mark)
//   shared  pick-<n> (ct mark = numgen random mod n; goto backend-dnat): one per endpoint count
//   per service port  only where needed: ext-<id> (NodePort) and, with sessionAffinity,
//         svc-<id>, ep-<id>/<ip>/<port> chains and aff-<id>/<ip>/<port> dynamic sets.
// Why so few chains: every nft run lists all chains of the table before its transaction, so
// per-service chains made every one-element change cost ~20 ms at 10k services; ports with
// the same endpoint count share their pick chain instead. Why data maps looked up by a handful
// of rules: the kernel validates every element of a data map against every rule bound to it,
// so 10k rules over one 100k-element map take minutes. The ct mark of a service connection's
// first packet is the proxy's scratch register (nothing else here uses it).
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
// lines; sets to their declaration body; elements are (map, "key : value"); `shared` names the
// objects it uses that other ports may use too ("pick-<n>", "hairpin <ip>").
struct PortRules {
  std::map<std::string, std::vector<std::string>> chains;
  std::map<std::string, std::string> sets;
  std::vector<std::pair<std::string, std::string>> elements;
  std::vector<std::string> shared;
};

PortRules RenderPort(const RulesConfig& config, const ServicePortState& state);

// How many service ports use each shared object of a loaded table (PortRules::shared): the
// first user adds the object, the last removes it. The caller keeps it with the table.
using SharedCounts = std::map<std::string, int>;

// The whole table for the given service ports, in two parts: `skeleton` replaces table
// `config.table` with one holding every chain, map and set but no map or set elements, and
// `elements` holds those elements as (map or set, element) in order.
struct TableScript {
  std::string skeleton;
  std::vector<std::pair<std::string, std::string>> elements;
};
// `shared` is set to the counts of the new table.
TableScript RenderTable(const RulesConfig& config,
                        const std::vector<const ServicePortState*>& ports, SharedCounts* shared);

// `add element` commands for elements[begin, end) of `table`, one command per map or set.
std::string ElementsScript(const RulesConfig& config, const TableScript& table, size_t begin,
                           size_t end);

// The script that atomically replaces table `config.table` with the given service ports
// (skeleton and all elements); `shared` is set to the counts of the new table.
std::string FullTableScript(const RulesConfig& config,
                            const std::vector<const ServicePortState*>& ports,
                            SharedCounts* shared);

// The script that deletes the table (fails in nft when the table does not exist).
std::string DeleteTableScript(const RulesConfig& config);

// Accumulates the changes of several service ports into one transaction: all removals (map
// elements, then rule flushes, chains and sets) come before all additions, so that a key moving
// from one service to another (a reused NodePort) never collides. Not thread-safe.
class RulesDelta {
 public:
  // `shared`: the counts of the table the delta applies to; read, not changed (see Commit).
  // Both arguments are borrowed and must outlive the delta.
  RulesDelta(const RulesConfig& config, const SharedCounts* shared)
      : config_(config), shared_(*shared) {}
  // Adds what turns `before` into `after`; either may be null (created / deleted port).
  // Unchanged chains and elements produce nothing.
  void Add(const ServicePortState* before, const ServicePortState* after);
  bool empty() const;
  // The script; empty when nothing changed.
  std::string Script() const;
  // Updates `shared` (the counts given to the constructor) once the script has been applied.
  void Commit(SharedCounts* shared) const;

 private:
  // Appends the lines that add or remove shared object `key` to the matching sections.
  void RenderShared(const std::string& key, bool add, std::string* elements, std::string* flush,
                    std::string* del, std::string* chains, std::string* rules) const;

  const RulesConfig& config_;
  const SharedCounts& shared_;
  std::map<std::string, int> shared_delta_;  // users gained (+) or lost (-) per shared object
  std::string delete_elements_, flush_chains_, delete_chains_, delete_sets_;
  std::string add_sets_, add_chains_, add_rules_, add_elements_;
};

}  // namespace capstan::proxy
