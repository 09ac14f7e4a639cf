// The node agent `capstan server` runs next to the control plane unless --disable-agent: the
// runtime plugin of the server's `runtime` chain, pod networking through its `cni` chain
// (pod_network_cni.h), images from the registries file, all with the admin identity; the agent
// itself reaches the API like the other in-process components (`--control-plane-transport`),
// its service proxy, NetworkPolicy and route watchers over HTTPS; also the image GC flags it
// shares with `capstan agent`.
// Wiring only (core/agent/start_agent.h does the work).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/agent/image_gc_manager.h"
#include "core/agent/start_agent.h"
#include "core/cmd/control_plane.h"
#include "core/cmd/pod_network_cni.h"
#include "core/common/flags.h"
#include "core/netpol/agent_netpol.h"
#include "core/network/node_routes.h"
#include "core/plugin/registry.h"
#include "core/proxy/agent_proxy.h"

namespace capstan::cmd {

struct LocalAgentOptions {
  ComponentApi api;                           // the API, identity and transport the agent uses
  const plugin::Registry* plugins = nullptr;  // borrowed; holds the runtime and cni chains
  std::string node_name;
  std::string data_dir;              // pods, images
  std::string registry_config_file;  // empty: none
  agent::ImageGcOptions image_gc;    // validated (ImageGcOptionsFrom)
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

// The image GC flags of `capstan agent` and of `capstan server` for its local agent, as the
// kubelet's imageGCHighThresholdPercent, imageGCLowThresholdPercent and imageMinimumGCAge.
struct ImageGcFlags {
  int64_t high_threshold = 85;
  int64_t low_threshold = 80;
  int64_t period_ns = int64_t{300} * 1'000'000'000;
  int64_t minimum_age_ns = int64_t{120} * 1'000'000'000;
};
// Registers --image-gc-high-threshold, --image-gc-low-threshold, --image-gc-period and
// --image-minimum-gc-age on `fs`; `f` must outlive its Parse.
void AddImageGcFlags(flags::FlagSet* fs, ImageGcFlags* f);
// The options the flags give. kBadRequest naming the flag unless 0 <= low < high <= 100
// (100 disables image GC), the period is positive and the minimum age not negative.
Result<agent::ImageGcOptions> ImageGcOptionsFrom(const ImageGcFlags& f);

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
