// NetworkPolicy enforcement as a node agent starts it (`capstan agent` in core/cmd/agent_cmd.cc,
// the local agent of `capstan server` in core/cmd/local_agent.cc): `--network-policy` mode
// resolution, the br_netfilter precondition, and a `PolicyEnforcer` (policy_enforcer.h) with
// its own API client.
#pragma once

#include <memory>
#include <string>

#include "core/client/api_client.h"
#include "core/client/kubeconfig.h"
#include "core/common/status.h"
#include "core/netpol/policy_enforcer.h"

namespace capstan::netpol {

struct AgentNetworkPolicyOptions {
  // "nftables", "none", or "" (auto: nftables when nft is installed, else none with a log line).
  std::string mode;
  std::string node_name;
  std::string table;  // empty: "capstan-netpol"
};

// Owns the enforcer and the client it watches with; stops (deleting the table) on destruction.
class AgentNetworkPolicy {
 public:
  ~AgentNetworkPolicy() { Stop(); }
  void Stop() {
    if (enforcer_) enforcer_->Stop();
    enforcer_.reset();
    client_.reset();
  }

 private:
  friend Result<std::unique_ptr<AgentNetworkPolicy>> StartAgentNetworkPolicy(
      const client::ClientConfig&, const AgentNetworkPolicyOptions&);
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<PolicyEnforcer> enforcer_;
};

// Makes bridged IPv4 traffic pass the inet hooks (net.bridge.bridge-nf-call-iptables=1 in this
// network namespace), which same-bridge enforcement needs (policy_enforcer.h). Errors:
// kUnavailable when br_netfilter is not in the kernel or the sysctl cannot be written.
Status EnsureBridgeNetfilter();

// Null (no error) when the mode resolves to none, or in auto mode when enforcement cannot
// start (logged). Errors: kBadRequest for an unknown mode; with mode nftables, kUnavailable
// without nft and PolicyEnforcer::Start's errors; the client's errors.
Result<std::unique_ptr<AgentNetworkPolicy>> StartAgentNetworkPolicy(
    const client::ClientConfig& client, const AgentNetworkPolicyOptions& options);

}  // namespace capstan::netpol
