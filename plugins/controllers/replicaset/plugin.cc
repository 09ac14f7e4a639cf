// The export of `replicaset`: the only symbol this .so exposes. Logic:
// replica_set_controller.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/replicaset/replica_set_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::ReplicaSetController,
               capstan::controllers::kReplicaSetPluginName,
               capstan::controllers::kReplicaSetPluginVersion,
               capstan::controllers::kReplicaSetPluginDescription,
               capstan::controllers::kReplicaSetSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
