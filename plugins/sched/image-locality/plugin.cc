// The export of `image-locality`: the only symbol this .so exposes. Logic: image_locality.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/sched/image-locality/image_locality.h"

CAPSTAN_PLUGIN(capstan::sched::ImageLocality, capstan::sched::kImageLocalityName, "1.32.0",
               "Score: prefer nodes that already have the pod's images (ImageLocality)",
               R"({"type":"object","additionalProperties":false})",
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
