// Cross-node pod routes (host-gw, as flannel's host-gw backend): `DesiredPodRoutes` turns the
// Node objects into "<podCIDR> via <InternalIP>" for every other node, and `NodeRoutes` keeps a
// `RouteTable` (route_table.h) equal to that as Nodes come, change and go, watching them with an
// Informer (core/client). Started by the agents (core/cmd/agent_cmd.cc, local_agent.cc).
// Tests: tests/core/network/node_routes_test.cc.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/client/api_client.h"
#include "core/client/informer.h"
#include "core/client/kubeconfig.h"
#include "core/common/status.h"
#include "core/network/route_table.h"

namespace capstan::network {

// For every node but `self_node`: each IPv4 CIDR of spec.podCIDRs (spec.podCIDR when that is
// empty), canonical, via the node's first IPv4 InternalIP. Nodes without either are skipped,
// as are CIDRs that are not IPv4, that overlap `self_node`'s own, or that an earlier node (by
// name) already claims, so a misconfigured node cannot take another's traffic. Sorted by
// destination. Pure.
std::vector<PodRoute> DesiredPodRoutes(const std::vector<client::ObjectPtr>& nodes,
                                       std::string_view self_node);

struct NodeRoutesOptions {
  std::string node_name;  // this node: no route to its own pods
  // Waited for the Node informer's first list in Start.
  std::chrono::milliseconds sync_timeout{30'000};
  // Pause after a failed route change before the next attempt.
  std::chrono::milliseconds retry_interval{1'000};
};

// Thread-safe. Informer handlers only wake the sync thread, which owns the table: it reads the
// informer's cache, computes the desired routes and applies the difference. On start it lists
// the table, so routes of nodes deleted while the agent was down are removed. Stop leaves the
// routes in place (pods keep reaching each other across an agent restart).
class NodeRoutes {
 public:
  // `client` and `table` are borrowed and must outlive the object. Errors: kUnavailable when
  // the informer does not sync within `sync_timeout`.
  static Result<std::unique_ptr<NodeRoutes>> Start(client::ApiClient* client, RouteTable* table,
                                                   NodeRoutesOptions options);
  ~NodeRoutes();  // Stop()s
  NodeRoutes(const NodeRoutes&) = delete;
  NodeRoutes& operator=(const NodeRoutes&) = delete;

  // Stops the informer and the sync thread. Idempotent.
  void Stop();

  // Node events seen so far / reflected in the table; tests wait for Applied() >= Seen().
  uint64_t Seen() const;
  uint64_t Applied() const;

 private:
  NodeRoutes(client::ApiClient* client, RouteTable* table, NodeRoutesOptions options);
  void MarkDirty();
  void Run();
  // Makes the table equal to the desired routes; the routes it holds afterwards in `applied_`.
  Status Sync();

  RouteTable* table_;
  const NodeRoutesOptions options_;
  std::unique_ptr<client::Informer> informer_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t seen_ = 0;     // guarded by mu_
  uint64_t applied_ = 0;  // guarded by mu_
  bool stopping_ = false;
  std::vector<PodRoute> routes_;  // sync thread only: the table as last listed or changed
  bool listed_ = false;           // sync thread only
  std::thread thread_;
};

// What an agent runs: its own API client, the netlink table of its network namespace and the
// `NodeRoutes` over them. Destruction stops the routes first.
class AgentNodeRoutes {
 public:
  ~AgentNodeRoutes() { Stop(); }
  void Stop() {
    if (routes_) routes_->Stop();
  }

 private:
  friend Result<std::unique_ptr<AgentNodeRoutes>> StartAgentNodeRoutes(const client::ClientConfig&,
                                                                       const std::string&);
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<NetlinkRouteTable> table_;
  std::unique_ptr<NodeRoutes> routes_;
};

// Keeps this network namespace's routes to the other nodes' pod CIDRs (`node_name` is this
// node). Errors: the client's, NetlinkRouteTable::Open's and NodeRoutes::Start's.
Result<std::unique_ptr<AgentNodeRoutes>> StartAgentNodeRoutes(const client::ClientConfig& client,
                                                              const std::string& node_name);

}  // namespace capstan::network
