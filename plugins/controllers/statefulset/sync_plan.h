// The StatefulSet sync decision (upstream v1.32 defaultStatefulSetControl.updateStatefulSet) as a
// pure function: from the set, its current and update revisions, its pods and the namespace's
// claims, the ordered pod actions to take now and the status they leave. OrderedReady stops at
// the first create or the first pod not Running+Ready (+available); Parallel acts on all.
// Scale-down deletes from the highest ordinal, one at a time when ordered; RollingUpdate
// replaces the highest-ordinal pod not at the update revision down to the partition, waiting
// for each to be healthy; OnDelete only recreates missing pods. Executed by
// stateful_set_controller.cc; tests in tests/plugins/controllers/statefulset/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_STATEFULSET_SYNC_PLAN_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_STATEFULSET_SYNC_PLAN_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

struct SetState {
  Json set;          // the live StatefulSet
  Json current_set;  // the set with the current revision's template
  Json update_set;   // the set with the update revision's template
  std::string current_revision;
  std::string update_revision;
  int64_t collision_count = 0;
  std::vector<Json> pods;              // the pods the set controls (any state)
  std::map<std::string, Json> claims;  // the namespace's PVCs by name
  int64_t now = 0;
};

enum class PodActionKind {
  kCreate,        // create the pod's missing claims, then `pod`, then set claim references
  kDelete,        // delete `pod` (reason says why)
  kUpdate,        // write `pod` back: identity or storage was fixed (claims created first)
  kCreateClaims,  // a pending pod lacks claims: create them
  kFixClaimRefs,  // the pod's claims' ownerReferences do not match the retention policy
};

struct PodAction {
  PodActionKind kind;
  Json pod;
  // kDelete: "RecreatingFailedPod", "RecreatingTerminatedPod" (with a Warning/Normal event),
  // "ScaleDown" or "Update"; otherwise empty.
  std::string reason;
};

struct SyncPlan {
  std::vector<PodAction> actions;  // in order; stop at the first that fails
  Json status;                     // StatefulSetStatus after the actions (as upstream counts)
  bool waiting = false;            // blocked on a pod's progress (ordered mode or update)
};

SyncPlan PlanSync(const SetState& state);

// Upstream computeReplicaStatus over `pods`, into status fields replicas, readyReplicas,
// availableReplicas, currentReplicas and updatedReplicas (added to what is there).
void CountReplicas(const std::vector<Json>& pods, const SetState& state, Json& status);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_STATEFULSET_SYNC_PLAN_H_
