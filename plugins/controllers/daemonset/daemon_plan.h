// The DaemonSet controller's decisions, as pure functions with upstream v1.32 semantics
// (pkg/controller/daemon: podsShouldBeOnNode, rollingUpdate, updateDaemonSetStatus): which nodes
// get a pod, which pods go, how a RollingUpdate (maxUnavailable / maxSurge) advances, and the
// status counts. The controller (daemonset_controller.h) performs the writes. Tests in
// tests/plugins/controllers/daemonset/daemon_plan_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_DAEMONSET_DAEMON_PLAN_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_DAEMONSET_DAEMON_PLAN_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "plugins/controllers/daemonset/daemon_placement.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

// The DaemonSet's claimed pods by target node (TargetNodeName), without terminal pods that are
// already being deleted.
using NodePods = std::map<std::string, std::vector<Json>>;

// One node of the cluster and the DaemonSet's verdict for it.
struct NodeState {
  std::string name;
  Placement placement;
};

// What a sync should do: create a pod on each of `create_on`, delete `delete_pods`.
// `failed_pods` are failed pods among the deletions (each gets a FailedDaemonPod event);
// `requeue_after_seconds` > 0 when a failed pod waits out its backoff.
struct DaemonActions {
  std::vector<std::string> create_on;
  std::vector<Json> delete_pods;
  std::vector<Json> failed_pods;
  int64_t requeue_after_seconds = 0;
};

// `deprecated.daemonset.template.generation` of the DaemonSet; nullopt when absent or malformed.
std::optional<int64_t> TemplateGeneration(const Json& daemon_set);
// Upstream IsPodUpdated: the pod's controller-revision-hash is `hash`, or its
// pod-template-generation label equals `template_generation`.
bool IsPodUpdated(const Json& pod, const std::string& hash,
                  std::optional<int64_t> template_generation);
// maxSurge / maxUnavailable of a RollingUpdate DaemonSet scaled to `desired` nodes (percentages
// round up, as upstream); 0 for OnDelete or when absent (maxUnavailable then defaults to 1).
int64_t SurgeCount(const Json& daemon_set, int64_t desired);
int64_t UnavailableCount(const Json& daemon_set, int64_t desired);
// Upstream AllowsSurge: a RollingUpdate whose maxSurge is not zero.
bool AllowsSurge(const Json& daemon_set);
// Scheduled pods first, then older first, then by name (podByCreationTimestampAndPhase).
void SortDaemonPods(std::vector<Json>& pods);

// Upstream's failed-pods backoff (flowcontrol.Backoff, 1 s doubling to 15 min; entries reset
// after twice the maximum without failures). Keys are "<ds uid>/<observedGeneration>/<node>".
// Thread-safe (one mutex).
class FailedPodBackoff {
 public:
  // Seconds left in the backoff of `key` at `now`; 0 when not backing off.
  int64_t Remaining(const std::string& key, int64_t now);
  // Records a failure at `now`: the next backoff starts at 1 s or doubles.
  void Next(const std::string& key, int64_t now);

 private:
  struct Entry {
    int64_t duration = 0;
    int64_t last_update = 0;
  };
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

// Upstream manage(): per node, podsShouldBeOnNode (create where a pod should run and none
// exists; delete failed (after backoff) and succeeded pods, surplus pods — all but the oldest,
// or with surge the oldest new and oldest old while the update is in flight — and pods on nodes
// where they may not continue running), plus unscheduled pods whose node no longer exists.
DaemonActions PlanManage(const Json& daemon_set, const std::vector<NodeState>& nodes,
                         const NodePods& node_pods, const std::string& hash, int64_t now,
                         FailedPodBackoff& backoff);

// Upstream rollingUpdate(): without surge, deletes out-of-date pods while the unavailable count
// (unavailable new pods, nodes without an available pod, unavailable old pods) stays within
// maxUnavailable; with surge, creates new pods beside available old ones up to maxSurge and
// deletes old pods once their new pod is available. `create_on` / `delete_pods` only.
DaemonActions PlanRollingUpdate(const Json& daemon_set, const std::vector<NodeState>& nodes,
                                NodePods node_pods, const std::string& hash, int64_t now);

// Upstream updateDaemonSetStatus: the DaemonSet's status object (the current one with the
// counts replaced; observedGeneration = metadata.generation when `observe_generation`).
Json DaemonSetStatus(const Json& daemon_set, const std::vector<NodeState>& nodes,
                     const NodePods& node_pods, const std::string& hash, int64_t now,
                     bool observe_generation);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_DAEMONSET_DAEMON_PLAN_H_
