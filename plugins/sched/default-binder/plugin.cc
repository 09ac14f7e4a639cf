// The export of `default-binder`: the only symbol this .so exposes. Logic: default_binder.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/sched/default-binder/default_binder.h"

CAPSTAN_PLUGIN(capstan::sched::DefaultBinder, capstan::sched::kDefaultBinderName, "1.32.0",
               "Bind: POST a v1 Binding through the API (kube-scheduler DefaultBinder)",
               R"({"type":"object","additionalProperties":false})",
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
