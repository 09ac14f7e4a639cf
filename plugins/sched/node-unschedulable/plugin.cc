// The export of `node-unschedulable`: the only symbol this .so exposes. Logic:
// node_unschedulable.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/sched/node-unschedulable/node_unschedulable.h"

CAPSTAN_PLUGIN(capstan::sched::NodeUnschedulable, capstan::sched::kNodeUnschedulableName, "1.32.0",
               "Filter: cordoned nodes reject non-tolerating pods (NodeUnschedulable)",
               R"({"type":"object","additionalProperties":false})",
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
