// The export of `node-resources-balanced-allocation`: the only symbol this .so exposes. Logic:
// balanced_allocation.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/sched/node-resources-balanced-allocation/balanced_allocation.h"

CAPSTAN_PLUGIN(capstan::sched::BalancedAllocation, capstan::sched::kBalancedAllocationName,
               "1.32.0", "Score: balanced cpu/memory utilization (NodeResourcesBalancedAllocation)",
               capstan::sched::kBalancedAllocationSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
