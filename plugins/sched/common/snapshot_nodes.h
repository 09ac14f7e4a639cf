// Whole-snapshot access for the plugins that need every node in PreFilter/PreScore
// (pod-topology-spread, inter-pod-affinity, default-preemption): the host service
// "capstan_host_sched_node_view_v1" (capstan/abi/sched.h), captured at on_init by
// CAPSTAN_SCHED_PLUGIN (export.h), and `ForEachSnapshotNode`; `ForEachNodeWithPodFlag` visits
// only nodes with affinity pods ("capstan_host_sched_affinity_nodes_v1").
// Partners: snapshot_nodes.cc, export.h.
#ifndef CAPSTAN_PLUGINS_SCHED_COMMON_SNAPSHOT_NODES_H_
#define CAPSTAN_PLUGINS_SCHED_COMMON_SNAPSHOT_NODES_H_

#include <cstdint>

#include "capstan/abi/sched.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/sched.h"

namespace capstan::sched {

inline constexpr char kNodeViewService[] = "capstan_host_sched_node_view_v1";
inline constexpr char kAffinityNodesService[] = "capstan_host_sched_affinity_nodes_v1";

// The service of this process's host, or NULL. Set once per on_init (every instance of a library
// gets the same function from the same host); tests set a fake.
void SetNodeViewService(capstan_host_sched_node_view_v1_fn fn);
capstan_host_sched_node_view_v1_fn NodeViewService();
// The same for "capstan_host_sched_affinity_nodes_v1" (sched 1.1 hosts); NULL on older hosts.
void SetAffinityNodesService(capstan_host_sched_affinity_nodes_v1_fn fn);
capstan_host_sched_affinity_nodes_v1_fn AffinityNodesService();
// Looks both services up in `host` (may be NULL) and stores them.
void CaptureHostProcs(const capstan_host* host);

// Calls `fn(node, pods)` for snapshot node `index`: NOT_FOUND past the last node.
template <typename Fn>
capstan_rc VisitSnapshotNode(capstan_host_sched_node_view_v1_fn get, const sdk::Host& host,
                             const sdk::Cycle& cycle, uint32_t index, Fn& fn, sdk::Status* err) {
  const capstan_sched_node_view* raw = nullptr;
  capstan_rc rc = get(host.ctx(), cycle.raw(), index, &raw);
  if (rc == CAPSTAN_RC_NOT_FOUND) return rc;
  if (rc != CAPSTAN_RC_OK || raw == nullptr) {
    *err = sdk::Status(rc == CAPSTAN_RC_OK ? CAPSTAN_RC_ERROR : rc, "reading snapshot node");
    return CAPSTAN_RC_ERROR;
  }
  sdk::NodeView node(raw);
  sdk::Span<capstan_sched_pod_view> pods;
  *err = cycle.NodePods(node, &pods);
  if (!err->ok()) return CAPSTAN_RC_ERROR;
  fn(node, pods);
  return CAPSTAN_RC_OK;
}

// Calls `fn(const sdk::NodeView& node, sdk::Span<capstan_sched_pod_view> pods)` for every node
// of the cycle's snapshot in index order. UNAVAILABLE when the host lacks the node-view service;
// the first error of the host otherwise.
template <typename Fn>
sdk::Status ForEachSnapshotNode(const sdk::Host& host, const sdk::Cycle& cycle, Fn&& fn) {
  capstan_host_sched_node_view_v1_fn get = NodeViewService();
  if (get == nullptr) {
    return sdk::Status::Unavailable("host lacks service capstan_host_sched_node_view_v1");
  }
  sdk::Status err = sdk::Status::Ok();
  for (uint32_t i = 0;; ++i) {
    capstan_rc rc = VisitSnapshotNode(get, host, cycle, i, fn, &err);
    if (rc == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
    if (rc != CAPSTAN_RC_OK) return err;
  }
}

// Like ForEachSnapshotNode, but only over the nodes holding a pod whose flags include
// `pod_flag` (one CAPSTAN_SCHED_POD_* bit). On hosts older than sched 1.1 it visits every node
// and sets `*filtered` to false: pod flags read 0 there, so callers must not rely on them.
template <typename Fn>
sdk::Status ForEachNodeWithPodFlag(const sdk::Host& host, const sdk::Cycle& cycle,
                                   uint32_t pod_flag, bool* filtered, Fn&& fn) {
  capstan_host_sched_affinity_nodes_v1_fn list = AffinityNodesService();
  *filtered = list != nullptr;
  if (list == nullptr) return ForEachSnapshotNode(host, cycle, fn);
  capstan_host_sched_node_view_v1_fn get = NodeViewService();
  if (get == nullptr) {
    return sdk::Status::Unavailable("host lacks service capstan_host_sched_node_view_v1");
  }
  const uint32_t* indices = nullptr;
  uint32_t count = 0;
  capstan_rc rc = list(host.ctx(), cycle.raw(), pod_flag, &indices, &count);
  if (rc != CAPSTAN_RC_OK) return sdk::Status(rc, "listing nodes with affinity pods");
  sdk::Status err = sdk::Status::Ok();
  for (uint32_t i = 0; i < count; ++i) {
    rc = VisitSnapshotNode(get, host, cycle, indices[i], fn, &err);
    if (rc == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Error("affinity node index out of range");
    if (rc != CAPSTAN_RC_OK) return err;
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_COMMON_SNAPSHOT_NODES_H_
