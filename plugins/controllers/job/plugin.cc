// The export of `job`: the only symbol this .so exposes. Logic: job_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/job/job_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::JobController, capstan::controllers::kJobPluginName,
               capstan::controllers::kJobPluginVersion, capstan::controllers::kJobPluginDescription,
               capstan::controllers::kJobSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
