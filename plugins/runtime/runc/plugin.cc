// The export of the `runc` runtime plugin: the only symbol this .so exposes. Logic:
// runc_runtime.cc.
#include "capstan/sdk/plugin.h"

#include "runc_runtime.h"

CAPSTAN_PLUGIN(capstan::plugins::runc_runtime::RuncRuntime,
               capstan::plugins::runc_runtime::kRuncRuntimeName,
               capstan::plugins::runc_runtime::kRuncRuntimeVersion,
               capstan::plugins::runc_runtime::kRuncRuntimeDescription,
               capstan::plugins::runc_runtime::kRuncRuntimeSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
