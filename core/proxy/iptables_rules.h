// Pure generation of the proxy's iptables mode rules as `iptables-restore --noflush` input: the
// whole rule set (`IptablesFullScript`), per-port deltas (`IptablesDelta`) and the clean-up
// (`IptablesClearScript`). Same behaviour as the nftables mode (nft_rules.h); partners:
// iptables_data_plane.h (runs the scripts), service_model.h (input). Chains, all named
// <prefix><name> with the prefix from RulesConfig::table (IptablesPrefix):
//   nat     SERVICES (from PREROUTING and OUTPUT: VIP -> SVC-*, external IP -> EXT-*, local
//           address -> NODEPORTS), NODEPORTS (port -> EXT-*), MARK-MASQ (sets the masquerade
//           mark), POSTROUTING (from POSTROUTING: masquerades marked connections and, with a
//           cluster CIDR, HAIRPIN ones), HAIRPIN (one rule per endpoint address: DNATed
//           connections whose source is their destination)
//   filter  SERVICES (from INPUT, FORWARD and OUTPUT for new connections: REJECT for ports
//           without endpoints, DROP for Local policy external traffic with no local endpoint)
//   per service port (nat)  SVC-<hash> (mark, then random choice over all endpoints, each rule
//           DNATing itself), EXT-<hash> (NodePort / external IPs), SVL-<hash> (Local policy:
//           random choice over local endpoints). sessionAffinity: `-m recent` lists named
//           <prefix>SEP-<hash> per endpoint, refreshed (--update) or started (--set) by the
//           DNAT rules themselves.
// External IPs follow externalTrafficPolicy like NodePorts, as in kube-proxy (the nftables mode
// treats them as cluster IPs). Why no per-endpoint chain as kube-proxy's KUBE-SEP-*:
// iptables-nft's restore and save cost grows with the square of the chain count (3,000
// services x 10 endpoints: 11 s with them, 1.1 s without); hairpin masquerading, their other
// use, is done once per endpoint address in HAIRPIN instead. Hashes are 10 base32 characters of a
// 64-bit FNV-1a of the port id (and endpoint), so that names fit iptables' 28 characters.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/proxy/nft_rules.h"
#include "core/proxy/service_model.h"

namespace capstan::proxy {

// "capstan-proxy" -> "CAPSTAN-": the table upper-cased, without a "-proxy" tail, shortened to
// 8 characters and a hash when longer than 13, then "-". At most 14 characters.
std::string IptablesPrefix(const RulesConfig& config);

// 10 characters of [A-Z2-7], stable across runs and builds.
std::string IptablesHash(std::string_view key);

// The rules of one service port. Rule specs are iptables-restore lines without "-A <chain> ".
struct IptablesPortRules {
  std::vector<std::string> services;                       // of nat <prefix>SERVICES
  std::vector<std::string> nodeports;                      // of nat <prefix>NODEPORTS
  std::vector<std::string> filter;                         // of filter <prefix>SERVICES
  std::map<std::string, std::vector<std::string>> chains;  // the port's own nat chains
  std::vector<std::string> hairpin;  // endpoint addresses (with a cluster CIDR), unique
  friend bool operator==(const IptablesPortRules&, const IptablesPortRules&) = default;
};

IptablesPortRules RenderIptablesPort(const RulesConfig& config, const ServicePortState& state);

// What is loaded: the rules of every port by ServicePortState::id, and how many ports use each
// endpoint address of the HAIRPIN chain.
struct IptablesLoaded {
  std::map<std::string, IptablesPortRules> ports;
  std::map<std::string, int> hairpin;
};

// One rule in a built-in chain that jumps to one of ours.
struct IptablesJump {
  std::string table, chain, spec;  // spec as iptables-save prints it
};
// The six jumps: nat PREROUTING, OUTPUT, POSTROUTING; filter INPUT, FORWARD, OUTPUT.
std::vector<IptablesJump> IptablesJumps(const RulesConfig& config);

// What `iptables-save` shows of ours: our chains per table (the fixed names and <kind>-<hash>
// after our prefix only, so that a longer prefix starting with ours is left alone) and how often
// each jump (IptablesJumps order) is present.
struct IptablesSaved {
  std::vector<std::string> nat_chains, filter_chains;
  std::vector<int> jump_counts;
};
IptablesSaved ParseIptablesSave(const RulesConfig& config, std::string_view save);

// Rewrites every chain of ours for `ports`, deletes our other chains listed in `saved` and
// inserts the jumps `saved` lacks. `loaded` is set to the rules of the new state.
std::string IptablesFullScript(const RulesConfig& config,
                               const std::vector<const ServicePortState*>& ports,
                               const IptablesSaved& saved, IptablesLoaded* loaded);

// Deletes the jumps and chains `saved` shows; empty when there are none.
std::string IptablesClearScript(const RulesConfig& config, const IptablesSaved& saved);

// Accumulates port changes into one restore run: the changed ports' own chains are rewritten,
// the lines they gained or lost in the shared chains (SERVICES, NODEPORTS, HAIRPIN, filter
// SERVICES) added or deleted one by one (`-D` needs the line to be there: a table changed behind
// our back fails the run, and the proxy then calls Full), the chains a port no longer has
// flushed and deleted. Not thread-safe.
class IptablesDelta {
 public:
  // `config` is copied; `loaded`: the rules in place, borrowed, must outlive the delta, read
  // only until Commit.
  IptablesDelta(RulesConfig config, const IptablesLoaded* loaded)
      : config_(std::move(config)), loaded_(*loaded) {}
  // `before` is only used for its id when `after` is null; the old rules come from `loaded`.
  void Add(const ServicePortState* before, const ServicePortState* after);
  // Empty when nothing changes.
  std::string Script() const;
  // Makes `loaded` (the one given to the constructor) describe the state after the script.
  void Commit(IptablesLoaded* loaded) const;

 private:
  // Users gained (+) or lost (-) per HAIRPIN address.
  std::map<std::string, int> HairpinChange() const;

  const RulesConfig config_;
  const IptablesLoaded& loaded_;
  std::map<std::string, std::optional<IptablesPortRules>> updates_;  // nullopt: port removed
};

}  // namespace capstan::proxy
