// The export of `endpoints`: the only symbol this .so exposes. Logic: endpoints_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/endpoints/endpoints_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::EndpointsController,
               capstan::controllers::kEndpointsPluginName,
               capstan::controllers::kEndpointsPluginVersion,
               capstan::controllers::kEndpointsPluginDescription,
               capstan::controllers::kEndpointsSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
