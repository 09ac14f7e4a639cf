// `NodeName` (Filter): a pod with `.spec.nodeName` fits only that node. Exported by plugin.cc;
// tested in tests/plugins/sched/node-name/.
#ifndef CAPSTAN_PLUGINS_SCHED_NODE_NAME_NODE_NAME_H_
#define CAPSTAN_PLUGINS_SCHED_NODE_NAME_NODE_NAME_H_

#include "capstan/sdk/sched.h"

namespace capstan::sched {

inline constexpr char kNodeNameName[] = "node-name";
inline constexpr char kNodeNameReason[] = "node(s) didn't match the requested node name";

// Stateless, so thread-safe.
class NodeName final : public sdk::SchedPlugin {
 public:
  // OK when the pod names no node or names `node`; else UNRESOLVABLE with kNodeNameReason.
  sdk::Status Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                     const sdk::NodeView& node) override;
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_NODE_NAME_NODE_NAME_H_
