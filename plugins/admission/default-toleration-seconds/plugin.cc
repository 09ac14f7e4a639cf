// The export of `default-toleration-seconds`: the only symbol this .so exposes.
#include "capstan/sdk/plugin.h"

#include "default_toleration_seconds.h"

CAPSTAN_PLUGIN(capstan::plugins::DefaultTolerationSeconds,
               capstan::plugins::kDefaultTolerationSecondsName,
               capstan::plugins::kDefaultTolerationSecondsVersion,
               capstan::plugins::kDefaultTolerationSecondsDescription,
               capstan::plugins::kDefaultTolerationSecondsSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
