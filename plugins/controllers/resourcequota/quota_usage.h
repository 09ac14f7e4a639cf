// Quota evaluation shared by the ResourceQuota controller and the `resource-quota` admission
// plugin: which objects a quota resource name counts, what one object charges (upstream's
// evaluators: pods with their compute requests/limits, services with node ports and load
// balancers, claims with storage, object counts), scope matching (Terminating, NotTerminating,
// BestEffort, NotBestEffort, PriorityClass, CrossNamespacePodAffinity) and the pod constraint
// check ("must specify limits.cpu for: ..."). Sees only the SDK and the controller kit.
// Partners: quota_quantity.h. Tests in tests/plugins/controllers/resourcequota/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_RESOURCEQUOTA_QUOTA_USAGE_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_RESOURCEQUOTA_QUOTA_USAGE_H_

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "capstan/sdk/json.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/resourcequota/quota_quantity.h"

namespace capstan::controllers {

// The objects a quota resource name counts: API group ("" for core) and plural.
struct QuotaTarget {
  std::string group;
  std::string resource;
  bool operator<(const QuotaTarget& o) const {
    return group != o.group ? group < o.group : resource < o.resource;
  }
  bool operator==(const QuotaTarget& o) const { return group == o.group && resource == o.resource; }
};

// "pods", "requests.cpu", "limits.memory" -> pods; "services.nodeports" -> services;
// "requests.storage" -> persistentvolumeclaims; "count/deployments.apps" -> {apps,
// deployments}; nullopt for names no evaluator tracks.
std::optional<QuotaTarget> TargetOf(std::string_view resource_name);

// What one object of `target` charges (upstream's evaluator `Usage`): for pods `count/pods`
// always and, unless the pod is terminal (Succeeded/Failed), `pods` and the compute resources
// (bare and `requests.` cpu/memory/ephemeral-storage, `limits.` ones, extended `requests.x`);
// services `services`, `services.nodeports`, `services.loadbalancers`; claims
// `persistentvolumeclaims` and `requests.storage`; every object its `count/<plural>[.<group>]`
// and, for the legacy kinds, the bare plural.
ResourceList ObjectUsage(const QuotaTarget& target, const sdk::json::Json& object);

// Whether `object` falls under the quota's `spec.scopes` and `spec.scopeSelector` (all must
// match). Scoped quotas only ever match pods, as upstream.
bool MatchesScopes(const sdk::json::Json& quota, const QuotaTarget& target,
                   const sdk::json::Json& object);

// The hard resource names of `quota` (`spec.hard` keys).
std::set<std::string> HardNames(const sdk::json::Json& quota);

// Upstream's pod Constraints: when a quota limits cpu or memory (bare, requests. or limits.),
// every container must set it. Empty when satisfied, else
// "must specify limits.cpu for: a,b; requests.memory for: c".
std::string PodConstraintError(const sdk::json::Json& pod, const std::set<std::string>& hard);

// Lists the objects of `target` in namespace `ns` into `*items` (a JSON array).
using ObjectLister = std::function<sdk::Status(const QuotaTarget& target, std::string_view ns,
                                               sdk::json::Json* items)>;

// `status.used` for every `spec.hard` name of `quota` (names no evaluator tracks read 0).
// Errors: the lister's.
sdk::Status ComputeUsed(const sdk::json::Json& quota, const ObjectLister& list, ResourceList* used);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_RESOURCEQUOTA_QUOTA_USAGE_H_
