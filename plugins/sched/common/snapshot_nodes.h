// Whole-snapshot access for the plugins that need every node in PreFilter/PreScore
// (pod-topology-spread, inter-pod-affinity, default-preemption): the host service
// "capstan_host_sched_node_view_v1" (capstan/abi/sched.h), captured at on_init by
// CAPSTAN_SCHED_PLUGIN (export.h), and `ForEachSnapshotNode`.
// Partners: snapshot_nodes.cc, export.h.
#ifndef CAPSTAN_PLUGINS_SCHED_COMMON_SNAPSHOT_NODES_H_
#define CAPSTAN_PLUGINS_SCHED_COMMON_SNAPSHOT_NODES_H_

#include <cstdint>

#include "capstan/abi/sched.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/sched.h"

namespace capstan::sched {

inline constexpr char kNodeViewService[] = "capstan_host_sched_node_view_v1";

// The service of this process's host, or NULL. Set once per on_init (every instance of a library
// gets the same function from the same host); tests set a fake.
void SetNodeViewService(capstan_host_sched_node_view_v1_fn fn);
capstan_host_sched_node_view_v1_fn NodeViewService();
// Looks the service up in `host` (may be NULL) and stores it.
void CaptureHostProcs(const capstan_host* host);

// Calls `fn(const sdk::NodeView& node, sdk::Span<capstan_sched_pod_view> pods)` for every node
// of the cycle's snapshot in index order. UNAVAILABLE when the host lacks the node-view service;
// the first error of the host otherwise.
template <typename Fn>
sdk::Status ForEachSnapshotNode(const sdk::Host& host, const sdk::Cycle& cycle, Fn&& fn) {
  capstan_host_sched_node_view_v1_fn get = NodeViewService();
  if (get == nullptr) {
    return sdk::Status::Unavailable("host lacks service capstan_host_sched_node_view_v1");
  }
  for (uint32_t i = 0;; ++i) {
    const capstan_sched_node_view* raw = nullptr;
    capstan_rc rc = get(host.ctx(), cycle.raw(), i, &raw);
    if (rc == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
    if (rc != CAPSTAN_RC_OK || raw == nullptr) return sdk::Status(rc, "reading snapshot node");
    sdk::NodeView node(raw);
    sdk::Span<capstan_sched_pod_view> pods;
    sdk::Status s = cycle.NodePods(node, &pods);
    if (!s.ok()) return s;
    fn(node, pods);
  }
}

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_COMMON_SNAPSHOT_NODES_H_
