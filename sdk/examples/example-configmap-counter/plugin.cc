// The export of `example-configmap-counter`: the only symbol this .so exposes.
// Logic: configmap_counter.cc.
#include "capstan/sdk/plugin.h"

#include "configmap_counter.h"

CAPSTAN_PLUGIN(capstan::examples::ConfigMapCounter, capstan::examples::kConfigMapCounterName,
               capstan::examples::kConfigMapCounterVersion,
               capstan::examples::kConfigMapCounterDescription,
               capstan::examples::kConfigMapCounterSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
