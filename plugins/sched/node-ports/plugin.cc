// The export of `node-ports`: the only symbol this .so exposes. Logic: node_ports.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/sched/node-ports/node_ports.h"

CAPSTAN_PLUGIN(capstan::sched::NodePorts, capstan::sched::kNodePortsName, "1.32.0",
               "Filter: the pod's host ports must be free on the node (kube-scheduler NodePorts)",
               R"({"type":"object","additionalProperties":false})",
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
