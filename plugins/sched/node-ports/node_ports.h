// `NodePorts` (PreFilter, Filter): a pod's host ports must be free on the node (same protocol
// and port on the same or a wildcard address conflict). Exported by plugin.cc; tested in
// tests/plugins/sched/node-ports/.
#ifndef CAPSTAN_PLUGINS_SCHED_NODE_PORTS_NODE_PORTS_H_
#define CAPSTAN_PLUGINS_SCHED_NODE_PORTS_NODE_PORTS_H_

#include <string>

#include "capstan/sdk/sched.h"
#include "plugins/sched/common/sched_util.h"

namespace capstan::sched {

inline constexpr char kNodePortsName[] = "node-ports";
inline constexpr char kNodePortsReason[] =
    "node(s) didn't have free ports for the requested pod ports";

// Stateless, so thread-safe; the pod's ports are in its view, so no cycle state is needed.
class NodePorts final : public sdk::SchedPlugin {
 public:
  // SKIP when the pod asks for no host port (so Filter is not called), else OK.
  sdk::Status PreFilter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                        std::string* node_names_json) override;
  // UNSCHEDULABLE with kNodePortsReason on a conflict.
  sdk::Status Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                     const sdk::NodeView& node) override;
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_NODE_PORTS_NODE_PORTS_H_
