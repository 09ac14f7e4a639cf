// The export of `garbage-collector`: the only symbol this .so exposes. Logic:
// garbage_collector.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/garbage-collector/garbage_collector.h"

CAPSTAN_PLUGIN(capstan::controllers::GarbageCollector,
               capstan::controllers::kGarbageCollectorPluginName,
               capstan::controllers::kGarbageCollectorPluginVersion,
               capstan::controllers::kGarbageCollectorPluginDescription,
               capstan::controllers::kGarbageCollectorSchema, CAPSTAN_CAP_THREAD_SAFE);
