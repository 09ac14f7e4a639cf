// The export of `example-static-ip`: the only symbol this .so exposes. Logic: static_ip_cni.cc.
#include "capstan/sdk/plugin.h"

#include "static_ip_cni.h"

CAPSTAN_PLUGIN(capstan::examples::StaticIpCni, capstan::examples::kStaticIpCniName,
               capstan::examples::kStaticIpCniVersion, capstan::examples::kStaticIpCniDescription,
               capstan::examples::kStaticIpCniSchema, CAPSTAN_CAP_THREAD_SAFE);
