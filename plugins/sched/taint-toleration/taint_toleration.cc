// Taints and tolerations; see taint_toleration.h.
#include "plugins/sched/taint-toleration/taint_toleration.h"

#include <string>

#include "plugins/sched/common/sched_util.h"

namespace capstan::sched {

sdk::Status TaintToleration::Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                    const sdk::NodeView& node) {
  (void)call, (void)cycle;
  for (const capstan_sched_taint& t : node.taints()) {
    if (t.effect != CAPSTAN_TAINT_NO_SCHEDULE && t.effect != CAPSTAN_TAINT_NO_EXECUTE) continue;
    std::string_view key = sdk::ToView(t.key), value = sdk::ToView(t.value);
    if (AnyToleratesTaint(pod.tolerations(), key, value, t.effect)) continue;
    std::string reason = "node(s) had untolerated taint {";
    reason.append(key).append(": ").append(value).append("}");
    return sdk::Status::Unresolvable(std::move(reason));
  }
  return sdk::Status::Ok();
}

sdk::Status TaintToleration::Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                   const sdk::NodeView& node, int64_t* score) {
  (void)call, (void)cycle;
  int64_t count = 0;
  for (const capstan_sched_taint& t : node.taints()) {
    if (t.effect != CAPSTAN_TAINT_PREFER_NO_SCHEDULE) continue;
    bool tolerated = false;
    for (const capstan_sched_toleration& tol : pod.tolerations()) {
      // Only tolerations aimed at PreferNoSchedule (or at every effect) count for scoring.
      if (tol.effect != 0 && tol.effect != CAPSTAN_TAINT_PREFER_NO_SCHEDULE) continue;
      if (ToleratesTaint(tol, sdk::ToView(t.key), sdk::ToView(t.value), t.effect)) {
        tolerated = true;
        break;
      }
    }
    if (!tolerated) ++count;
  }
  *score = count;
  return sdk::Status::Ok();
}

sdk::Status TaintToleration::NormalizeScore(sdk::Call& call, sdk::Cycle& cycle,
                                            const sdk::PodView& pod, sdk::NodeScores& scores) {
  (void)call, (void)cycle, (void)pod;
  DefaultNormalizeScore(kMaxNodeScore, /*reverse=*/true, scores);
  return sdk::Status::Ok();
}

}  // namespace capstan::sched
