// The export of `static-token`: the only symbol this .so exposes. Logic: static_token.cc.
#include "capstan/sdk/plugin.h"

#include "static_token.h"

CAPSTAN_PLUGIN(capstan::plugins::StaticTokenAuthn, capstan::plugins::kStaticTokenName,
               capstan::plugins::kStaticTokenVersion, capstan::plugins::kStaticTokenDescription,
               capstan::plugins::kStaticTokenSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
