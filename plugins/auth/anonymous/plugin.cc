// The export of `anonymous`: the only symbol this .so exposes. Logic: anonymous_authn.cc.
#include "capstan/sdk/plugin.h"

#include "anonymous_authn.h"

CAPSTAN_PLUGIN(capstan::plugins::AnonymousAuthn, capstan::plugins::kAnonymousName,
               capstan::plugins::kAnonymousVersion, capstan::plugins::kAnonymousDescription,
               capstan::plugins::kAnonymousSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
