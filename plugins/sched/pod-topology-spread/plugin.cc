// The export of `pod-topology-spread`: the only symbol this .so exposes. Logic:
// pod_topology_spread.cc and spread_state.cc.
#include "plugins/sched/common/export.h"
#include "plugins/sched/pod-topology-spread/pod_topology_spread.h"

CAPSTAN_SCHED_PLUGIN(capstan::sched::PodTopologySpread, capstan::sched::kPodTopologySpreadName,
                     "1.32.0", "Filter and Score by topologySpreadConstraints (PodTopologySpread)",
                     R"({"type":"object","additionalProperties":false})",
                     CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
