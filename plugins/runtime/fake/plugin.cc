// The export of the `fake` runtime plugin: the only symbol this .so exposes. Logic:
// fake_runtime.cc.
#include "capstan/sdk/plugin.h"

#include "fake_runtime.h"

CAPSTAN_PLUGIN(capstan::plugins::fake_runtime::FakeRuntime,
               capstan::plugins::fake_runtime::kFakeRuntimeName,
               capstan::plugins::fake_runtime::kFakeRuntimeVersion,
               capstan::plugins::fake_runtime::kFakeRuntimeDescription,
               capstan::plugins::fake_runtime::kFakeRuntimeSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
