// StatefulSet pod identity with upstream v1.32 semantics (pkg/controller/statefulset/
// stateful_set_utils.go): ordinals and names, the identity labels, hostname/subdomain, the
// volumes that point at the pod's PersistentVolumeClaims, new pods at a revision, and the pod
// state predicates the sync uses. Pure functions over Kubernetes JSON. Partners:
// claim_retention.h (PVC ownership), sync_plan.h (decisions). Tests in
// tests/plugins/controllers/statefulset/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_STATEFULSET_STATEFUL_POD_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_STATEFULSET_STATEFUL_POD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugins/controllers/kit/history.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kStatefulSetKind[] = "StatefulSet";
inline constexpr char kAppsV1[] = "apps/v1";
inline constexpr char kPodNameLabel[] = "statefulset.kubernetes.io/pod-name";
inline constexpr char kPodIndexLabel[] = "apps.kubernetes.io/pod-index";

// ---- The set ----
int64_t SetReplicas(const Json& set);   // spec.replicas, default 1
int64_t StartOrdinal(const Json& set);  // spec.ordinals.start, default 0
// StartOrdinal + replicas - 1 (below the start when replicas is 0).
int64_t EndOrdinal(const Json& set);
bool AllowsBurst(const Json& set);   // podManagementPolicy Parallel
bool IsOnDelete(const Json& set);    // updateStrategy.type OnDelete
int64_t Partition(const Json& set);  // updateStrategy.rollingUpdate.partition, default 0

// ---- Names and identity ----
// "web-3" -> ("web", 3); false when the name does not end in "-<digits>".
bool ParseOrdinal(std::string_view pod_name, std::string* parent, int64_t* ordinal);
// The pod's ordinal, -1 when its name has none.
int64_t OrdinalOf(const Json& pod);
// The pod's name says it belongs to `set` (upstream isMemberOf).
bool IsMemberOf(const Json& set, const Json& pod);
bool InOrdinalRange(const Json& set, const Json& pod);
std::string PodName(const Json& set, int64_t ordinal);
// "<template>-<set>-<ordinal>".
std::string ClaimName(std::string_view claim_template, std::string_view set_name, int64_t ordinal);
// The controller-revision-hash label ("" when absent).
std::string PodRevision(const Json& pod);

bool IdentityMatches(const Json& set, const Json& pod);
bool StorageMatches(const Json& set, const Json& pod);
// Name, namespace and the pod-name and pod-index labels (not hostname/subdomain: those are set
// only at creation, as upstream).
void UpdateIdentity(const Json& set, Json& pod);
// Volumes named after the claim templates point at the pod's claims; others are kept after them.
void UpdateStorage(const Json& set, Json& pod);

// The pod's claims from spec.volumeClaimTemplates, in template order: (template name, claim) with
// the claim's name and namespace set and the selector's matchLabels added to its labels.
std::vector<std::pair<std::string, Json>> PodClaims(const Json& set, int64_t ordinal);

// A new pod for `ordinal` from the template of `set` (a set with a revision's template applied),
// labelled with `revision`: template labels/annotations/finalizers, generateName "<set>-",
// controller reference, identity, hostname = name, subdomain = spec.serviceName, claim volumes.
Json NewStatefulPod(const Json& set, int64_t ordinal, const std::string& revision);
// Upstream newVersionedStatefulSetPod: ordinals below start + partition keep the current
// revision, the others get the update revision.
Json NewVersionedPod(const Json& current_set, const Json& update_set,
                     const std::string& current_revision, const std::string& update_revision,
                     int64_t ordinal);

// Upstream ApplyRevision: `set` with the pod template of `revision` (whose `data` is
// {"spec":{"template":{...,"$patch":"replace"}}}); `set` unchanged when the data has none.
Json SetAtRevision(const Json& set, const Json& revision);

// ---- Pod state (upstream isCreated, isRunningAndReady, ...) ----
bool IsCreated(const Json& pod);  // has a phase: the API server sets Pending on create
bool IsPodPhase(const Json& pod, std::string_view phase);
bool IsRunningAndReady(const Json& pod);
bool IsRunningAndAvailable(const Json& pod, int64_t min_ready_seconds, int64_t now);
bool IsHealthy(const Json& pod);  // running, ready and not terminating

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_STATEFULSET_STATEFUL_POD_H_
