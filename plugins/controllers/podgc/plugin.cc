// The export of `podgc`: the only symbol this .so exposes. Logic: podgc_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/podgc/podgc_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::PodGcController, capstan::controllers::kPodGcPluginName,
               capstan::controllers::kPodGcPluginVersion,
               capstan::controllers::kPodGcPluginDescription, capstan::controllers::kPodGcSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
