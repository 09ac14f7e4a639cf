// The export of `default-preemption`: the only symbol this .so exposes. Logic: preemption.cc
// and victims.cc.
#include "plugins/sched/common/export.h"
#include "plugins/sched/default-preemption/preemption.h"

CAPSTAN_SCHED_PLUGIN(capstan::sched::DefaultPreemption, capstan::sched::kDefaultPreemptionName,
                     "1.32.0", "PostFilter: preempt lower-priority pods (DefaultPreemption)",
                     R"({"type":"object","additionalProperties":false})",
                     CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
