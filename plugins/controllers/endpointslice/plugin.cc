// The export of `endpointslice`: the only symbol this .so exposes. Logic:
// endpointslice_controller.cc and slice_plan.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/endpointslice/endpointslice_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::EndpointSliceController,
               capstan::controllers::kEndpointSlicePluginName,
               capstan::controllers::kEndpointSlicePluginVersion,
               capstan::controllers::kEndpointSlicePluginDescription,
               capstan::controllers::kEndpointSliceSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
