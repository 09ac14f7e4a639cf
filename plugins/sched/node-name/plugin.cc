// The export of `node-name`: the only symbol this .so exposes. Logic: node_name.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/sched/node-name/node_name.h"

CAPSTAN_PLUGIN(capstan::sched::NodeName, capstan::sched::kNodeNameName, "1.32.0",
               "Filter: pods with spec.nodeName fit only that node (kube-scheduler NodeName)",
               R"({"type":"object","additionalProperties":false})",
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
