// The export of `x509`: the only symbol this .so exposes. Logic: x509_authn.cc.
#include "capstan/sdk/plugin.h"

#include "x509_authn.h"

CAPSTAN_PLUGIN(capstan::plugins::X509Authn, capstan::plugins::kX509Name,
               capstan::plugins::kX509Version, capstan::plugins::kX509Description,
               capstan::plugins::kX509Schema, CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
