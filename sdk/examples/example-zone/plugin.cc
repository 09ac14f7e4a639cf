// The export of `example-zone`: the only symbol this .so exposes. Logic: zone_sched.cc.
#include "capstan/sdk/plugin.h"

#include "zone_sched.h"

CAPSTAN_PLUGIN(capstan::examples::ZoneSched, capstan::examples::kZoneSchedName,
               capstan::examples::kZoneSchedVersion, capstan::examples::kZoneSchedDescription,
               capstan::examples::kZoneSchedSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
