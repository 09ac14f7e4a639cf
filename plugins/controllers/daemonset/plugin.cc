// The export of `daemonset`: the only symbol this .so exposes. Logic: daemonset_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/daemonset/daemonset_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::DaemonSetController,
               capstan::controllers::kDaemonSetPluginName,
               capstan::controllers::kDaemonSetPluginVersion,
               capstan::controllers::kDaemonSetPluginDescription,
               capstan::controllers::kDaemonSetSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
