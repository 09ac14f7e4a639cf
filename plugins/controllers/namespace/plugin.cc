// The export of `namespace`: the only symbol this .so exposes. Logic: namespace_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/namespace/namespace_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::NamespaceController,
               capstan::controllers::kNamespacePluginName,
               capstan::controllers::kNamespacePluginVersion,
               capstan::controllers::kNamespacePluginDescription,
               capstan::controllers::kNamespaceSchema, CAPSTAN_CAP_THREAD_SAFE);
