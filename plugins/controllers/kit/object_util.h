// Shared helpers of the built-in controller plugins (plugins/controllers/*): non-throwing JSON
// accessors, RFC 3339 times, label selectors (matchLabels + matchExpressions), controller
// ownerReferences and pod readiness/availability as upstream's pkg/controller helpers define
// them. Sees only the SDK. Partners: api.h (API calls), expectations.h. Tests in
// tests/plugins/controllers/kit/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_KIT_OBJECT_UTIL_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_KIT_OBJECT_UTIL_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/json.h"

namespace capstan::controllers {

using sdk::json::Json;

// Wall clock in unix seconds; injectable for tests.
using Clock = std::function<int64_t()>;
int64_t SystemNow();

// "2024-05-01T10:00:00Z" (fractions and offsets accepted) -> unix seconds; nullopt when invalid.
std::optional<int64_t> ParseTime(std::string_view text);
// Unix seconds -> "2024-05-01T10:00:00Z".
std::string FormatTime(int64_t unix_seconds);

// Typed reads along a path of object keys; the fallback when absent or of another type.
std::string GetStr(const Json& j, std::initializer_list<std::string_view> path,
                   std::string fallback = {});
int64_t GetNum(const Json& j, std::initializer_list<std::string_view> path, int64_t fallback = 0);
bool Has(const Json& j, std::initializer_list<std::string_view> path);

// The object's metadata shortcuts.
inline std::string Name(const Json& o) { return GetStr(o, {"metadata", "name"}); }
inline std::string Namespace(const Json& o) { return GetStr(o, {"metadata", "namespace"}); }
inline std::string Uid(const Json& o) { return GetStr(o, {"metadata", "uid"}); }
inline bool Deleting(const Json& o) { return Has(o, {"metadata", "deletionTimestamp"}); }
// "ns/name" or "name".
std::string KeyOf(const Json& o);
// Splits "ns/name" into its parts; a key without '/' has an empty namespace.
void SplitKey(std::string_view key, std::string* ns, std::string* name);

// The ownerReference with controller=true, or NULL.
const Json* ControllerRef(const Json& o);
// {"apiVersion", "kind", "name", "uid", "controller": true, "blockOwnerDeletion": true}.
Json NewControllerRef(const Json& owner, std::string_view api_version, std::string_view kind);

// A parsed label selector. Default-constructed it matches nothing (upstream's nil selector).
class Selector {
 public:
  Selector() = default;
  // metav1.LabelSelector JSON (matchLabels, matchExpressions with In/NotIn/Exists/
  // DoesNotExist). An empty object matches everything. nullopt on a malformed selector.
  static std::optional<Selector> FromLabelSelector(const Json& selector);
  // A plain map (ReplicationController.spec.selector); empty matches everything.
  static Selector FromMap(const Json& map);

  // `labels` is the object's metadata.labels (NULL or not an object: no labels).
  bool Matches(const Json* labels) const;
  bool Empty() const { return !nothing_ && reqs_.empty(); }

 private:
  enum class Op { kIn, kNotIn, kExists, kDoesNotExist };
  struct Req {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  bool nothing_ = true;
  std::vector<Req> reqs_;
};

inline const Json* Labels(const Json& o) { return sdk::json::FindPath(o, {"metadata", "labels"}); }

// ---- Pods (upstream pkg/api/v1/pod and pkg/controller semantics) ----
// Not Succeeded/Failed and not being deleted.
bool IsPodActive(const Json& pod);
// The Ready condition is True.
bool IsPodReady(const Json& pod);
// lastTransitionTime of the True Ready condition (nullopt when not ready or unknown).
std::optional<int64_t> PodReadySince(const Json& pod);
// Ready for at least `min_ready_seconds` at `now` (0: ready is enough).
bool IsPodAvailable(const Json& pod, int64_t min_ready_seconds, int64_t now);

// Upstream's condition list edit: returns the index of condition `type` in `status.conditions`
// or -1.
int FindCondition(const Json& conditions, std::string_view type);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_KIT_OBJECT_UTIL_H_
