// The export of `service-lb`: the only symbol this .so exposes. Logic: service_lb_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/service-lb/service_lb_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::ServiceLbController,
               capstan::controllers::kServiceLbPluginName,
               capstan::controllers::kServiceLbPluginVersion,
               capstan::controllers::kServiceLbPluginDescription,
               capstan::controllers::kServiceLbSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
