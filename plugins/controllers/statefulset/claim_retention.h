// The StatefulSet PersistentVolumeClaim retention policy (upstream v1.32
// StatefulSetAutoDeletePVC): which ownerReferences a pod's claims should carry so the garbage
// collector deletes them when the set is deleted (`whenDeleted: Delete` -> a reference to the
// set) or when the pod is scaled away (`whenScaled: Delete` -> a reference to the pod), and when
// a claim is stale. Pure functions over Kubernetes JSON. Partners: stateful_pod.h, sync_plan.h.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_STATEFULSET_CLAIM_RETENTION_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_STATEFULSET_CLAIM_RETENTION_H_

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

struct RetentionPolicy {
  bool delete_when_deleted = false;  // whenDeleted: Delete
  bool delete_when_scaled = false;   // whenScaled: Delete
  bool RetainAll() const { return !delete_when_deleted && !delete_when_scaled; }
};
// spec.persistentVolumeClaimRetentionPolicy; absent or unknown values mean Retain.
RetentionPolicy RetentionOf(const Json& set);

// The claim has a reference to `owner` (by uid, controller or not).
bool HasOwnerRef(const Json& claim, const Json& owner);
// The claim has a reference naming `owner` (apiVersion, kind, name) with another uid: it was
// made for an earlier object of that name (upstream hasStaleOwnerRef).
bool HasStaleOwnerRef(const Json& claim, const Json& owner, const char* api_version,
                      const char* kind);
// A controller other than this set or pod, or a reference to an earlier set or pod of the same
// name, while the policy is not Retain/Retain: the claim is left alone.
bool HasUnexpectedController(const Json& claim, const Json& set, const Json& pod);

// Upstream isClaimOwnerUpToDate: the claim's references match the policy for `pod` (in range:
// set reference iff whenDeleted Delete; scaled away: pod reference iff whenScaled Delete, and no
// set reference). Claims managed by someone else count as up to date.
bool ClaimOwnerUpToDate(const Json& claim, const Json& set, const Json& pod);
// Upstream updateClaimOwnerRefForSetAndPod: the claim's ownerReferences with ours replaced by
// what the policy asks (others kept).
Json ClaimOwnerRefsFor(const Json& claim, const Json& set, const Json& pod);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_STATEFULSET_CLAIM_RETENTION_H_
