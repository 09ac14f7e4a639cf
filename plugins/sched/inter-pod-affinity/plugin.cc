// The export of `inter-pod-affinity`: the only symbol this .so exposes. Logic:
// inter_pod_affinity.cc and affinity_terms.cc.
#include "plugins/sched/common/export.h"
#include "plugins/sched/inter-pod-affinity/inter_pod_affinity.h"

CAPSTAN_SCHED_PLUGIN(capstan::sched::InterPodAffinity, capstan::sched::kInterPodAffinityName,
                     "1.32.0", "Filter and Score by pod affinity/anti-affinity (InterPodAffinity)",
                     capstan::sched::kInterPodAffinitySchema,
                     CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
