// Deployment helpers with upstream v1.32 semantics (pkg/controller/deployment/util): the
// pod-template hash, template equality ignoring that hash, maxSurge/maxUnavailable fenceposts,
// revision and replica annotations, conditions, and status/progress predicates. Pure functions
// over Kubernetes JSON; the controller is in deployment_controller.h. Tests in
// tests/plugins/controllers/deployment/deployment_util_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_UTIL_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kHashLabel[] = "pod-template-hash";
inline constexpr char kRevision[] = "deployment.kubernetes.io/revision";
inline constexpr char kRevisionHistory[] = "deployment.kubernetes.io/revision-history";
inline constexpr char kDesiredReplicas[] = "deployment.kubernetes.io/desired-replicas";
inline constexpr char kMaxReplicas[] = "deployment.kubernetes.io/max-replicas";
inline constexpr size_t kMaxRevisionHistoryChars = 2000;

// ---- Hashing and templates ----
// The pod-template-hash of a template: ComputeTemplateHash (plugins/controllers/kit/history.h).
// Templates equal once the hash label, nulls and empty maps/lists are dropped (upstream
// EqualIgnoreHash with Semantic.DeepEqual).
bool EqualIgnoreHash(const Json& a, const Json& b);

// ---- Counts ----
int64_t Replicas(const Json& obj);  // spec.replicas, default 1
int64_t StatusCount(const Json& obj, std::string_view field);
int64_t SumReplicas(const std::vector<const Json*>& rss);
int64_t SumStatus(const std::vector<const Json*>& rss, std::string_view field);

// ---- Strategy ----
bool IsRollingUpdate(const Json& d);
// "25%" of `total` rounded up or down, or an integer as is. nullopt when malformed.
std::optional<int64_t> ScaledValue(const Json& int_or_percent, int64_t total, bool round_up);
// maxSurge (rounded up) and maxUnavailable (rounded down); both 0 makes unavailable 1.
void ResolveFenceposts(const Json& d, int64_t* surge, int64_t* unavailable);
int64_t MaxSurge(const Json& d);
int64_t MaxUnavailable(const Json& d);

// ---- Annotations ----
std::optional<int64_t> AnnotationInt(const Json& obj, std::string_view key);
int64_t Revision(const Json& rs);  // 0 when absent or malformed
// Sets `key` to `value` in metadata.annotations; true when it changed.
bool SetAnnotation(Json& obj, std::string_view key, const std::string& value);
// desired-replicas and max-replicas; true when either changed.
bool SetReplicasAnnotations(Json& rs, int64_t desired, int64_t max);
bool ReplicasAnnotationsNeedUpdate(const Json& rs, int64_t desired, int64_t max);
// Copies the deployment's annotations (except the controller's own and
// kubectl.kubernetes.io/last-applied-configuration), bumps the revision and keeps the
// revision history; for a new RS also the replica annotations. True when anything changed.
bool SetNewReplicaSetAnnotations(const Json& d, Json& rs, const std::string& new_revision,
                                 bool exists);

// ---- Conditions (DeploymentCondition JSON) ----
Json NewCondition(std::string_view type, std::string_view status, std::string_view reason,
                  std::string_view message, int64_t now);
const Json* GetCondition(const Json& status, std::string_view type);
// Upstream SetDeploymentCondition: same status and reason: no change; same status: keep the
// lastTransitionTime; then replaces the condition of that type.
void SetCondition(Json& status, Json condition);
void RemoveCondition(Json& status, std::string_view type);

// ---- Progress ----
bool HasProgressDeadline(const Json& d);
bool DeploymentComplete(const Json& d, const Json& new_status);
bool DeploymentProgressing(const Json& d, const Json& new_status);
bool DeploymentTimedOut(const Json& d, const Json& new_status, int64_t now);

// Sorting: by creationTimestamp then name (oldest first).
bool CreatedBefore(const Json* a, const Json* b);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_UTIL_H_
