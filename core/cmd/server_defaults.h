// What `capstan server` sets up when the operator configures nothing: the default plugin chains
// (every default is a .so under the plugin directory) and the objects kube-apiserver creates at
// start-up (system namespaces, system PriorityClasses). Used by server_cmd.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/apiserver/api_server.h"
#include "core/common/status.h"

namespace capstan::cmd {

// The operator configuration (docs/plugin-configuration.md) used without --plugin-config, with
// `token_file` as the static-token plugin's file. Errors: none in practice (the text is fixed);
// a parse failure is reported as kInternal.
Result<nlohmann::json> DefaultPluginConfig(const std::string& token_file);

// What the server's local agent runs on when the operator configures nothing.
struct AgentChainDefaults {
  std::string runtime = "runc";  // runtime/<runtime>.so
  std::string state_dir;         // the agent's data dir: runc state, CNI leases
  std::string pod_cidr = "10.244.0.0/24";
  std::string bridge = "capstan0";
  // All nodes' pod addresses: traffic to them is not masqueraded (bridge `clusterCIDR`), so
  // pods on other nodes see the pod's own address. Empty: only the node's subnet is exempt.
  std::string cluster_cidr;
};

// Adds the `runtime` chain (runc with its state under `state_dir`, or the fake runtime) and,
// for runc, the `cni` chain (the native bridge plugin on `pod_cidr` with masquerading) to a
// default configuration from DefaultPluginConfig.
void AddAgentChains(const AgentChainDefaults& defaults, nlohmann::json* config);

// Removes the named controllers from a default configuration's `controller` chain (names as in
// the chain, e.g. "node-lifecycle"). Errors: kInvalid naming an unknown controller.
Status DisableControllers(const std::vector<std::string>& names, nlohmann::json* config);

// Creates default, kube-system, kube-public and kube-node-lease unless they exist.
Status CreateSystemNamespaces(apiserver::ApiServer& server);
// Creates system-node-critical and system-cluster-critical unless they exist.
Status CreateSystemPriorityClasses(apiserver::ApiServer& server);

}  // namespace capstan::cmd
