// The node agent's NetworkPolicy enforcement (agent_netpol.h).
#include "core/netpol/agent_netpol.h"

#include <fstream>

#include "core/common/log.h"

namespace capstan::netpol {
namespace {

constexpr char kLog[] = "netpol";
constexpr char kCallIptables[] = "/proc/sys/net/bridge/bridge-nf-call-iptables";

}  // namespace

Status EnsureBridgeNetfilter() {
  std::ifstream in(kCallIptables);
  if (!in) {
    return UnavailableError(
        "br_netfilter is not loaded (no net.bridge.bridge-nf-call-iptables): traffic between "
        "pods on one bridge cannot be filtered; run `modprobe br_netfilter`");
  }
  std::string value;
  in >> value;
  if (value == "1") return Status::Ok();
  std::ofstream out(kCallIptables);
  out << "1\n";
  out.close();
  if (!out) return UnavailableError(std::string("cannot write 1 to ") + kCallIptables);
  log::Info(kLog, "set net.bridge.bridge-nf-call-iptables=1 for same-bridge enforcement");
  return Status::Ok();
}

Result<std::unique_ptr<AgentNetworkPolicy>> StartAgentNetworkPolicy(
    const client::ClientConfig& client, const AgentNetworkPolicyOptions& options) {
  if (options.mode == "none") return std::unique_ptr<AgentNetworkPolicy>();
  if (!options.mode.empty() && options.mode != "nftables") {
    return BadRequestError("--network-policy wants nftables or none, not '" + options.mode + "'");
  }
  if (options.mode.empty() && proxy::NftRunner::FindNft().empty()) {
    log::Info(kLog, "nft not found: NetworkPolicies are not enforced (--network-policy none)");
    return std::unique_ptr<AgentNetworkPolicy>();
  }
  if (Status s = EnsureBridgeNetfilter(); !s.ok()) {
    // Routed pod traffic is still enforced; only same-bridge traffic escapes.
    log::Warn(kLog, "same-bridge pod traffic is not filtered", {{"error", s.ToString()}});
  }
  Result<std::unique_ptr<client::ApiClient>> c = client::ApiClient::Create(client);
  if (!c.ok()) return c.status().WithContext("network policy");
  std::unique_ptr<AgentNetworkPolicy> running(new AgentNetworkPolicy());
  running->client_ = std::move(*c);
  EnforcerOptions o;
  o.node_name = options.node_name;
  if (!options.table.empty()) o.table = options.table;
  Result<std::unique_ptr<PolicyEnforcer>> e = PolicyEnforcer::Start(running->client_.get(), o);
  if (!e.ok() && options.mode.empty()) {
    // Auto mode must not stop an agent that cannot program nftables (e.g. not root).
    log::Warn(kLog, "NetworkPolicies are not enforced", {{"error", e.status().ToString()}});
    return std::unique_ptr<AgentNetworkPolicy>();
  }
  if (!e.ok()) return e.status();
  running->enforcer_ = std::move(*e);
  return running;
}

}  // namespace capstan::netpol
