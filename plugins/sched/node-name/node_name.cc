// Filter on `.spec.nodeName`; see node_name.h.
#include "plugins/sched/node-name/node_name.h"

namespace capstan::sched {

sdk::Status NodeName::Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                             const sdk::NodeView& node) {
  (void)call, (void)cycle;
  if (pod.node_name().empty() || pod.node_name() == node.name()) return sdk::Status::Ok();
  return sdk::Status::Unresolvable(kNodeNameReason);
}

}  // namespace capstan::sched
