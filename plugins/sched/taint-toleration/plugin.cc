// The export of `taint-toleration`: the only symbol this .so exposes. Logic: taint_toleration.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/sched/taint-toleration/taint_toleration.h"

CAPSTAN_PLUGIN(capstan::sched::TaintToleration, capstan::sched::kTaintTolerationName, "1.32.0",
               "Filter and Score on node taints and pod tolerations (TaintToleration)",
               R"({"type":"object","additionalProperties":false})",
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
