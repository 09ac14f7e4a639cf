// The export of `bridge`: the only symbol this .so exposes. Logic: bridge_cni.cc.
#include "capstan/sdk/plugin.h"

#include "bridge_cni.h"

CAPSTAN_PLUGIN(capstan::cni::BridgeCni, capstan::cni::kBridgeName, capstan::cni::kBridgeVersion,
               capstan::cni::kBridgeDescription, capstan::cni::kBridgeSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
