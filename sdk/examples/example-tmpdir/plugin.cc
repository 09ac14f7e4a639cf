// The export of `example-tmpdir`: the only symbol this .so exposes. Logic: tmpdir_csi.cc.
#include "capstan/sdk/plugin.h"

#include "tmpdir_csi.h"

CAPSTAN_PLUGIN(capstan::examples::TmpDirCsi, capstan::examples::kTmpDirCsiName,
               capstan::examples::kTmpDirCsiVersion, capstan::examples::kTmpDirCsiDescription,
               capstan::examples::kTmpDirCsiSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
