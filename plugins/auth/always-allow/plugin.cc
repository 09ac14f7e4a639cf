// The export of `always-allow`: the only symbol this .so exposes. Logic: always_allow.cc.
#include "capstan/sdk/plugin.h"

#include "always_allow.h"

CAPSTAN_PLUGIN(capstan::plugins::AlwaysAllow, capstan::plugins::kAlwaysAllowName,
               capstan::plugins::kAlwaysAllowVersion, capstan::plugins::kAlwaysAllowDescription,
               capstan::plugins::kAlwaysAllowSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
