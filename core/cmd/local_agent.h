// The node agent `capstan server` runs next to the control plane unless --disable-agent: the
// runtime plugin of the server's `runtime` chain, pod networking through its `cni` chain
// (pod_network_cni.h), images from the registries file, all with the admin identity over HTTPS
// like the other in-process components. Wiring only (core/agent/start_agent.h does the work).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/agent/start_agent.h"
#include "core/cmd/pod_network_cni.h"
#include "core/netpol/agent_netpol.h"
#include "core/network/node_routes.h"
#include "core/plugin/registry.h"
#include "core/proxy/agent_proxy.h"

namespace capstan::cmd {

struct LocalAgentOptions {
  std::string kubeconfig;                     // the API and identity the agent uses
  const plugin::Registry* plugins = nullptr;  // borrowed; holds the runtime and cni chains
  std::string node_name;
  std::string data_dir;              // pods, images
  std::string registry_config_file;  // empty: none
  std::vector<std::string> cluster_dns;
  std::map<std::string, std::string> labels;
  // Service proxy (core/proxy/agent_proxy.h): "nftables", "none", "" = nftables when nft exists.
  std::string proxy_mode;
  std::string proxy_table;  // empty: capstan-proxy
  // NetworkPolicy enforcement (core/netpol/agent_netpol.h): "nftables", "none", "" = nftables
  // when nft exists; its inet table (empty: capstan-netpol).
  std::string network_policy;
  std::string network_policy_table;
  // The node's pod subnet, published as the Node's spec.podCIDR(s); empty: none.
  std::string pod_cidr;
  std::string cluster_cidr;  // the service proxy's cluster CIDR (core/proxy/agent_proxy.h)
  // Keep routes to other nodes' pod CIDRs (host-gw, core/network/node_routes.h).
  bool pod_routes = false;
  // The agent API (logs, exec, attach): loopback and an ephemeral port, so test traffic stays
  // local and parallel servers never clash; published on the Node for the apiserver.
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 0;
};

// Stops the agent (leaving containers running, as the kubelet does) before releasing the
// network hook it uses.
class LocalAgent {
 public:
  ~LocalAgent() { Stop(); }
  void Stop() {
    if (routes_) routes_->Stop();  // leaves the routes for the running pods
    routes_.reset();
    if (netpol_) netpol_->Stop();  // deletes its nftables table
    netpol_.reset();
    if (proxy_) proxy_->Stop();  // deletes its nftables table
    proxy_.reset();
    if (agent_) agent_->Stop();
    agent_.reset();
  }

 private:
  friend Result<std::unique_ptr<LocalAgent>> StartLocalAgent(const LocalAgentOptions&);
  std::unique_ptr<CniPodNetwork> network_;
  std::unique_ptr<agent::RunningAgent> agent_;
  std::unique_ptr<proxy::AgentProxy> proxy_;
  std::unique_ptr<netpol::AgentNetworkPolicy> netpol_;
  std::unique_ptr<network::AgentNodeRoutes> routes_;
};

// Errors: kInvalid without a runtime chain; the kubeconfig's and StartAgent's errors.
Result<std::unique_ptr<LocalAgent>> StartLocalAgent(const LocalAgentOptions& options);

}  // namespace capstan::cmd
