// The export of `node-affinity`: the only symbol this .so exposes. Logic: node_affinity.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/sched/node-affinity/node_affinity.h"

CAPSTAN_PLUGIN(capstan::sched::NodeAffinity, capstan::sched::kNodeAffinityName, "1.32.0",
               "Filter and Score on nodeSelector and node affinity (kube-scheduler NodeAffinity)",
               capstan::sched::kNodeAffinitySchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
