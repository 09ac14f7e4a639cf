// The export of `serviceaccount`: the only symbol this .so exposes. Logic:
// serviceaccount_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/serviceaccount/serviceaccount_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::ServiceAccountController,
               capstan::controllers::kServiceAccountPluginName,
               capstan::controllers::kServiceAccountPluginVersion,
               capstan::controllers::kServiceAccountPluginDescription,
               capstan::controllers::kServiceAccountSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
