// The export of `example-inmemory`: the only symbol this .so exposes. Logic: inmemory_runtime.cc.
#include "capstan/sdk/plugin.h"

#include "inmemory_runtime.h"

CAPSTAN_PLUGIN(capstan::examples::InMemoryRuntime, capstan::examples::kInMemoryRuntimeName,
               capstan::examples::kInMemoryRuntimeVersion,
               capstan::examples::kInMemoryRuntimeDescription,
               capstan::examples::kInMemoryRuntimeSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
