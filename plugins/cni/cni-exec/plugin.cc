// The export of `cni-exec`: the only symbol this .so exposes. Logic: cni_exec.cc.
#include "capstan/sdk/plugin.h"

#include "cni_exec.h"

CAPSTAN_PLUGIN(capstan::cni::CniExec, capstan::cni::kCniExecName, capstan::cni::kCniExecVersion,
               capstan::cni::kCniExecDescription, capstan::cni::kCniExecSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
