// The export of `statefulset`: the only symbol this .so exposes. Logic:
// stateful_set_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/statefulset/stateful_set_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::StatefulSetController,
               capstan::controllers::kStatefulSetPluginName,
               capstan::controllers::kStatefulSetPluginVersion,
               capstan::controllers::kStatefulSetPluginDescription,
               capstan::controllers::kStatefulSetSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
