// The export of `node-resources-fit`: the only symbol this .so exposes. Logic:
// node_resources_fit.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/sched/node-resources-fit/node_resources_fit.h"

CAPSTAN_PLUGIN(capstan::sched::NodeResourcesFit, capstan::sched::kNodeResourcesFitName, "1.32.0",
               "Filter and Score on requested vs allocatable resources (NodeResourcesFit)",
               capstan::sched::kNodeResourcesFitSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
