// `NodeUnschedulable` (Filter): cordoned nodes (`.spec.unschedulable`) reject pods that do not
// tolerate the taint node.kubernetes.io/unschedulable:NoSchedule. Exported by plugin.cc; tested
// in tests/plugins/sched/node-unschedulable/.
#ifndef CAPSTAN_PLUGINS_SCHED_NODE_UNSCHEDULABLE_NODE_UNSCHEDULABLE_H_
#define CAPSTAN_PLUGINS_SCHED_NODE_UNSCHEDULABLE_NODE_UNSCHEDULABLE_H_

#include "capstan/sdk/sched.h"

namespace capstan::sched {

inline constexpr char kNodeUnschedulableName[] = "node-unschedulable";
inline constexpr char kNodeUnschedulableReason[] = "node(s) were unschedulable";
inline constexpr char kUnschedulableTaintKey[] = "node.kubernetes.io/unschedulable";

// Stateless, so thread-safe.
class NodeUnschedulable final : public sdk::SchedPlugin {
 public:
  // OK for schedulable nodes or tolerating pods; else UNRESOLVABLE "node(s) were unschedulable".
  sdk::Status Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                     const sdk::NodeView& node) override;
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_NODE_UNSCHEDULABLE_NODE_UNSCHEDULABLE_H_
