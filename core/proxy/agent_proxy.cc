// The node agent's service proxy (agent_proxy.h).
#include "core/proxy/agent_proxy.h"

#include <algorithm>

#include "core/common/log.h"
#include "core/proxy/iptables_data_plane.h"
#include "core/proxy/nft_data_plane.h"
#include "core/proxy/nft_runner.h"
#include "core/proxy/userspace_data_plane.h"

namespace capstan::proxy {

namespace {

// The data plane of a resolved mode; null for "none".
Result<std::unique_ptr<DataPlane>> MakePlane(const std::string& mode,
                                             const AgentProxyOptions& options) {
  RulesConfig rules;
  if (!options.table.empty()) rules.table = options.table;
  rules.cluster_cidr = options.cluster_cidr;
  if (mode == "nftables") {
    if (NftRunner::FindNft().empty()) {
      return Status(StatusCode::kUnavailable, "--proxy-mode nftables: nft is not installed");
    }
    return std::unique_ptr<DataPlane>(new NftDataPlane(NftPlaneOptions{rules, "", "", 0}));
  }
  if (mode == "iptables") {
    if (IptablesDataPlane::FindIptablesRestore().empty()) {
      return Status(StatusCode::kUnavailable,
                    "--proxy-mode iptables: iptables-restore is not installed");
    }
    IptablesPlaneOptions o;
    o.rules = rules;
    return std::unique_ptr<DataPlane>(new IptablesDataPlane(o));
  }
  if (mode == "userspace") {
    UserspacePlaneOptions o;
    // A table of its own (parallel agents on one host) names a link of its own too: "svc-" and
    // the table's last 11 characters (link names have at most 15).
    if (!options.table.empty() && options.table != RulesConfig().table) {
      o.interface = "svc-" + options.table.substr(options.table.size() -
                                                  std::min<size_t>(11, options.table.size()));
    }
    return std::unique_ptr<DataPlane>(new UserspaceDataPlane(o));
  }
  return Status(StatusCode::kBadRequest,
                "--proxy-mode wants nftables, iptables, userspace or none, not '" + mode + "'");
}

}  // namespace

Result<std::unique_ptr<AgentProxy>> StartAgentProxy(const client::ClientConfig& client,
                                                    const AgentProxyOptions& options) {
  if (options.mode == "none") return std::unique_ptr<AgentProxy>();
  const bool automatic = options.mode.empty();
  // Auto: nftables where nft is installed; hosts without it get the userspace proxy.
  std::string mode = options.mode;
  if (automatic) mode = NftRunner::FindNft().empty() ? "userspace" : "nftables";
  Result<std::unique_ptr<DataPlane>> plane = MakePlane(mode, options);
  if (!plane.ok()) return plane.status();
  Result<std::unique_ptr<client::ApiClient>> c = client::ApiClient::Create(client);
  if (!c.ok()) return c.status().WithContext("service proxy");
  std::unique_ptr<AgentProxy> running(new AgentProxy());
  running->client_ = std::move(*c);
  ProxyOptions o;
  o.node_name = options.node_name;
  Result<std::unique_ptr<ServiceProxy>> p =
      ServiceProxy::Start(running->client_.get(), o, std::move(*plane));
  if (!p.ok() && automatic) {
    // Auto mode must not stop an agent that cannot program its data plane (e.g. not root).
    log::Warn("proxy", "no service proxy", {{"mode", mode}, {"error", p.status().ToString()}});
    return std::unique_ptr<AgentProxy>();
  }
  if (!p.ok()) return p.status();
  running->proxy_ = std::move(*p);
  return running;
}

}  // namespace capstan::proxy
