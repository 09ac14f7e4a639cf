// Filter on `.spec.unschedulable`; see node_unschedulable.h.
#include "plugins/sched/node-unschedulable/node_unschedulable.h"

#include "plugins/sched/common/sched_util.h"

namespace capstan::sched {

sdk::Status NodeUnschedulable::Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                      const sdk::NodeView& node) {
  (void)call, (void)cycle;
  if (!node.unschedulable()) return sdk::Status::Ok();
  if (AnyToleratesTaint(pod.tolerations(), kUnschedulableTaintKey, "", CAPSTAN_TAINT_NO_SCHEDULE)) {
    return sdk::Status::Ok();
  }
  return sdk::Status::Unresolvable(kNodeUnschedulableReason);
}

}  // namespace capstan::sched
