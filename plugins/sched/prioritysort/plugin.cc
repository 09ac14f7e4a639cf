// The export of `prioritysort`: the only symbol this .so exposes. Logic: priority_sort.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/sched/prioritysort/priority_sort.h"

CAPSTAN_PLUGIN(capstan::sched::PrioritySort, capstan::sched::kPrioritySortName, "1.32.0",
               "QueueSort: higher priority first, then older pods (kube-scheduler PrioritySort)",
               R"({"type":"object","additionalProperties":false})",
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
