// `TaintToleration` (Filter, Score, NormalizeScore): NoSchedule/NoExecute taints a pod does not
// tolerate reject the node; untolerated PreferNoSchedule taints lower its score. Exported by
// plugin.cc; tested in tests/plugins/sched/taint-toleration/.
#ifndef CAPSTAN_PLUGINS_SCHED_TAINT_TOLERATION_TAINT_TOLERATION_H_
#define CAPSTAN_PLUGINS_SCHED_TAINT_TOLERATION_TAINT_TOLERATION_H_

#include <cstdint>

#include "capstan/sdk/sched.h"

namespace capstan::sched {

inline constexpr char kTaintTolerationName[] = "taint-toleration";

// Stateless, so thread-safe; every call reads only the views.
class TaintToleration final : public sdk::SchedPlugin {
 public:
  // UNRESOLVABLE "node(s) had untolerated taint {key: value}" for the first untolerated
  // NoSchedule/NoExecute taint; OK otherwise.
  sdk::Status Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                     const sdk::NodeView& node) override;
  // The number of PreferNoSchedule taints not tolerated by the pod's tolerations whose effect
  // is empty or PreferNoSchedule (lower is better; NormalizeScore reverses).
  sdk::Status Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                    const sdk::NodeView& node, int64_t* score) override;
  // Upstream's DefaultNormalizeScore(100, reverse = true).
  sdk::Status NormalizeScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                             sdk::NodeScores& scores) override;
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_TAINT_TOLERATION_TAINT_TOLERATION_H_
