// Which pods a ReplicaSet deletes first when scaling down: upstream v1.32's
// ActivePodsWithRanks order (unscheduled, pending, not ready, lower pod-deletion-cost, more
// pods of the owner on the same node, more recently ready, more restarts, newer — time
// comparisons on upstream's logarithmic scale). Tests in
// tests/plugins/controllers/replicaset/pod_ranking_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_POD_RANKING_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_POD_RANKING_H_

#include <cstdint>
#include <vector>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

// True when pod `a` should be deleted before pod `b`. `rank_a`/`rank_b` are the numbers of
// related pods on each pod's node; `now` is unix seconds.
bool DeleteBefore(const Json& a, int64_t rank_a, const Json& b, int64_t rank_b, int64_t now);

// The first `count` pods of `pods` in deletion order (all of them when count >= size).
std::vector<const Json*> PodsToDelete(const std::vector<const Json*>& pods, int64_t count,
                                      int64_t now);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_POD_RANKING_H_
