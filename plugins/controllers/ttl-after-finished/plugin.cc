// The export of `ttl-after-finished`: the only symbol this .so exposes. Logic:
// ttl_after_finished_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/ttl-after-finished/ttl_after_finished_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::TtlAfterFinishedController,
               capstan::controllers::kTtlPluginName, capstan::controllers::kTtlPluginVersion,
               capstan::controllers::kTtlPluginDescription, capstan::controllers::kTtlSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
