// Pure rendering of the enforcer's nftables table from evaluated pod policies (policy_model.h):
// the whole table (`FullTableScript`) and per-pod deltas (`DeltaScript`), each meant for one
// `nft -f -` transaction (core/proxy/nft_runner.h). Layout of `inet <table>`:
//   chain forward  (hook forward, priority filter, policy accept)
//       ct state established,related accept      replies of allowed connections
//       ip saddr vmap @egress                    jump egr-<ip>: `return` when allowed, else drop
//       ip daddr vmap @ingress                   jump ing-<ip>: `accept` when allowed, else drop
//   maps ingress / egress: pod IP -> jump to its chain, only for isolated pods.
// Tests: tests/core/netpol/nft_script_test.cc.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/netpol/policy_model.h"

namespace capstan::netpol {

// The two chains of one local pod; a direction that is not isolated has no chain.
struct PodChains {
  bool ingress_isolated = false, egress_isolated = false;
  std::vector<std::string> ingress, egress;  // rule lines, the final drop included
  friend bool operator==(const PodChains&, const PodChains&) = default;
};

// The allow lines of one direction (without the final drop), in rule order. An `AllowRule`
// whose selectors matched no pod or whose named ports resolved to nothing yields no line.
std::vector<std::string> RenderRules(const std::vector<AllowRule>& rules, bool ingress);

PodChains RenderPod(const PodPolicy& policy);

// "ing-<ip>" / "egr-<ip>".
std::string ChainName(bool ingress, const std::string& ip);

// The script that atomically replaces `inet <table>` with the chains of `pods` (keyed by IP).
std::string FullTableScript(const std::string& table, const std::map<std::string, PodChains>& pods);

// The script that deletes the table (nft fails when it does not exist).
std::string DeleteTableScript(const std::string& table);

// The changes that turn the applied `before` into `after` (both keyed by pod IP): removals
// (map elements, then chains) first, then flushed and new chains with their rules, then new
// map elements. Unchanged pods produce nothing; empty when nothing changed.
std::string DeltaScript(const std::string& table, const std::map<std::string, PodChains>& before,
                        const std::map<std::string, PodChains>& after);

}  // namespace capstan::netpol
