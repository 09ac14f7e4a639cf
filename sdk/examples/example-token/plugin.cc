// The export of `example-token`: the only symbol this .so exposes. Logic: token_authn.cc.
#include "capstan/sdk/plugin.h"

#include "token_authn.h"

CAPSTAN_PLUGIN(capstan::examples::TokenAuthn, capstan::examples::kTokenAuthnName,
               capstan::examples::kTokenAuthnVersion, capstan::examples::kTokenAuthnDescription,
               capstan::examples::kTokenAuthnSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
