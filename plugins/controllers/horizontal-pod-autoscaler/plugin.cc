// The export of `horizontal-pod-autoscaler`: the only symbol this .so exposes. Logic:
// hpa_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/horizontal-pod-autoscaler/hpa_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::HorizontalPodAutoscalerController,
               capstan::controllers::kHpaPluginName, capstan::controllers::kHpaPluginVersion,
               capstan::controllers::kHpaPluginDescription, capstan::controllers::kHpaSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
