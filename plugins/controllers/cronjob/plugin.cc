// The export of `cronjob`: the only symbol this .so exposes. Logic: cronjob_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/cronjob/cronjob_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::CronJobController, capstan::controllers::kCronJobPluginName,
               capstan::controllers::kCronJobPluginVersion,
               capstan::controllers::kCronJobPluginDescription,
               capstan::controllers::kCronJobSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
