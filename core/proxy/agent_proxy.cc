// The node agent's service proxy (agent_proxy.h).
#include "core/proxy/agent_proxy.h"

#include "core/common/log.h"

namespace capstan::proxy {

Result<std::unique_ptr<AgentProxy>> StartAgentProxy(const client::ClientConfig& client,
                                                    const AgentProxyOptions& options) {
  const bool have_nft = !NftRunner::FindNft().empty();
  if (options.mode == "none") return std::unique_ptr<AgentProxy>();
  if (options.mode.empty() && !have_nft) {
    log::Info("proxy", "nft not found: no service proxy (--proxy-mode none)");
    return std::unique_ptr<AgentProxy>();
  }
  if (!options.mode.empty() && options.mode != "nftables") {
    return Status(StatusCode::kBadRequest,
                  "--proxy-mode wants nftables or none, not '" + options.mode + "'");
  }
  Result<std::unique_ptr<client::ApiClient>> c = client::ApiClient::Create(client);
  if (!c.ok()) return c.status().WithContext("service proxy");
  std::unique_ptr<AgentProxy> running(new AgentProxy());
  running->client_ = std::move(*c);
  ProxyOptions o;
  o.node_name = options.node_name;
  if (!options.table.empty()) o.rules.table = options.table;
  o.rules.cluster_cidr = options.cluster_cidr;
  Result<std::unique_ptr<ServiceProxy>> p = ServiceProxy::Start(running->client_.get(), o);
  if (!p.ok() && options.mode.empty()) {
    // Auto mode must not stop an agent that cannot program nftables (e.g. not root).
    log::Warn("proxy", "no service proxy", {{"error", p.status().ToString()}});
    return std::unique_ptr<AgentProxy>();
  }
  if (!p.ok()) return p.status();
  running->proxy_ = std::move(*p);
  return running;
}

}  // namespace capstan::proxy
