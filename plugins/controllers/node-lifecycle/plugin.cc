// The export of `node-lifecycle`: the only symbol this .so exposes. Logic:
// node_lifecycle_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/node-lifecycle/node_lifecycle_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::NodeLifecycleController,
               capstan::controllers::kNodeLifecyclePluginName,
               capstan::controllers::kNodeLifecyclePluginVersion,
               capstan::controllers::kNodeLifecyclePluginDescription,
               capstan::controllers::kNodeLifecycleSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
