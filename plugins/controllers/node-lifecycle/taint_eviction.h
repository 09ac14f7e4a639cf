// Taint-based eviction (upstream pkg/controller/tainteviction, simplified): when a pod on a node
// with NoExecute taints has to go — at once for a taint it does not tolerate, else when the
// shortest tolerationSeconds of the tolerations it relies on has passed since the taint's
// timeAdded. Pure functions of the JSON objects. Partners: node_health.h,
// node_lifecycle_controller.h. Tests in tests/plugins/controllers/node-lifecycle/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_NODE_LIFECYCLE_TAINT_EVICTION_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_NODE_LIFECYCLE_TAINT_EVICTION_H_

#include <cstdint>
#include <limits>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

// Never evicted: every NoExecute taint is tolerated without tolerationSeconds (or there is none).
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// Upstream's Toleration.ToleratesTaint on JSON: a set effect must equal the taint's, a set key
// must equal it, Exists matches any value and Equal (or no operator) needs an equal value.
bool ToleratesTaint(const Json& toleration, const Json& taint);

// The unix time at which `pod` is to be evicted because of the NoExecute taints in `taints`
// (node spec.taints): `now` when one is not tolerated; otherwise the earliest, over the taints,
// of timeAdded (else `now`) + tolerationSeconds of the first toleration matching it (negative
// counts as 0); kNever when no such toleration limits the time.
int64_t EvictionTime(const Json& pod, const Json& taints, int64_t now);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_NODE_LIFECYCLE_TAINT_EVICTION_H_
