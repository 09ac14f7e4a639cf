// The service proxy as a node agent starts it (`capstan agent` in core/cmd/agent_cmd.cc, the
// local agent of `capstan server` in core/cmd/local_agent.cc): `--proxy-mode` resolution to a
// data plane (nft_data_plane.h, iptables_data_plane.h, userspace_data_plane.h) and a
// `ServiceProxy` (service_proxy.h) with its own API client.
#pragma once

#include <memory>
#include <string>

#include "core/client/api_client.h"
#include "core/client/kubeconfig.h"
#include "core/common/status.h"
#include "core/proxy/service_proxy.h"

namespace capstan::proxy {

struct AgentProxyOptions {
  // "nftables", "iptables", "userspace", "none", or "" (auto: nftables when nft is installed,
  // else userspace; a plane that cannot start in auto mode means no proxy and a log line).
  std::string mode;
  std::string node_name;
  std::string table;         // empty: "capstan-proxy"
  std::string cluster_cidr;  // empty: masquerade all service traffic (RulesConfig)
};

// Owns the proxy and the client it watches with; stops (deleting the table) on destruction.
class AgentProxy {
 public:
  ~AgentProxy() { Stop(); }
  void Stop() {
    if (proxy_) proxy_->Stop();
    proxy_.reset();
    client_.reset();
  }

 private:
  friend Result<std::unique_ptr<AgentProxy>> StartAgentProxy(const client::ClientConfig&,
                                                             const AgentProxyOptions&);
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<ServiceProxy> proxy_;
};

// Null (no error) when the mode is none, or in auto mode when the proxy cannot start (logged).
// Errors: kBadRequest for an unknown mode; kUnavailable when the mode's tool (nft,
// iptables-restore) is missing; ServiceProxy::Start's and the client's errors.
Result<std::unique_ptr<AgentProxy>> StartAgentProxy(const client::ClientConfig& client,
                                                    const AgentProxyOptions& options);

}  // namespace capstan::proxy
