// Node heartbeat decisions of the NodeLifecycle controller (upstream
// pkg/controller/nodelifecycle, simplified): the last heartbeat from the node's Lease and Ready
// condition, the conditions to mark Unknown once it is older than the grace period, and the
// not-ready/unreachable taints the Ready condition implies. Pure functions of the objects and a
// time. Partners: taint_eviction.h, node_lifecycle_controller.h. Tests in
// tests/plugins/controllers/node-lifecycle/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_NODE_LIFECYCLE_NODE_HEALTH_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_NODE_LIFECYCLE_NODE_HEALTH_H_

#include <cstdint>
#include <optional>
#include <string>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kTaintNotReady[] = "node.kubernetes.io/not-ready";
inline constexpr char kTaintUnreachable[] = "node.kubernetes.io/unreachable";

struct GracePeriods {
  int64_t monitor_seconds = 40;  // nodeMonitorGracePeriod
  int64_t startup_seconds = 60;  // nodeStartupGracePeriod
};

// What the heartbeats say about one node at time `now` (unix seconds).
struct NodeHealth {
  // The later of the Lease's spec.renewTime and the Ready condition's lastHeartbeatTime, or the
  // node's creationTimestamp when neither exists (then `startup` is true).
  int64_t last_heartbeat = 0;
  bool startup = false;
  // last_heartbeat + the grace period that applies; the node is stale from then on.
  int64_t stale_at = 0;
  bool stale = false;
};

// `lease` may be NULL (no Lease in kube-node-lease).
NodeHealth AssessNode(const Json& node, const Json* lease, int64_t now, const GracePeriods& grace);

// The node's status.conditions after marking a stale node: Ready, MemoryPressure, DiskPressure
// and PIDPressure (added when missing) get status Unknown, reason NodeStatusUnknown (or
// NodeStatusNeverUpdated when the kubelet never posted one) and lastTransitionTime `now` when
// their status changes; lastHeartbeatTime stays. nullopt when nothing changes.
std::optional<Json> UnknownConditions(const Json& node, int64_t now);

// The Ready condition's status ("True", "False", "Unknown"); empty when the node has none (a
// node in its startup grace period: no taint decisions yet, as upstream).
std::string ReadyStatus(const Json& node);

// The node's spec.taints with the lifecycle taints the Ready `status` implies: "False" ->
// not-ready NoSchedule+NoExecute, "Unknown" -> unreachable NoSchedule+NoExecute, "True" -> none
// of the four. Other taints keep their order; kept taints keep their timeAdded and new NoExecute
// ones get `now`. nullopt when the list does not change.
std::optional<Json> DesiredTaints(const Json& node, const std::string& ready_status, int64_t now);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_NODE_LIFECYCLE_NODE_HEALTH_H_
