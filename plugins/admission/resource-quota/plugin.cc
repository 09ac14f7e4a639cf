// The export of `resource-quota`: the only symbol this .so exposes. Logic:
// resource_quota_admission.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/admission/resource-quota/resource_quota_admission.h"

CAPSTAN_PLUGIN(capstan::plugins::ResourceQuotaAdmission, capstan::plugins::kResourceQuotaName,
               capstan::plugins::kResourceQuotaVersion, capstan::plugins::kResourceQuotaDescription,
               capstan::plugins::kResourceQuotaSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
