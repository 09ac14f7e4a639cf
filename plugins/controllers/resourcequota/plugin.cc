// The export of `resourcequota`: the only symbol this .so exposes. Logic:
// resource_quota_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/resourcequota/resource_quota_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::ResourceQuotaController,
               capstan::controllers::kQuotaPluginName, capstan::controllers::kQuotaPluginVersion,
               capstan::controllers::kQuotaPluginDescription, capstan::controllers::kQuotaSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
