// The export of `priority`: the only symbol this .so exposes. Logic: priority.cc.
#include "capstan/sdk/plugin.h"

#include "priority.h"

CAPSTAN_PLUGIN(capstan::plugins::PriorityAdmission, capstan::plugins::kPriorityName,
               capstan::plugins::kPriorityVersion, capstan::plugins::kPriorityDescription,
               capstan::plugins::kPrioritySchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
