// The export of `example-labels`: the only symbol this .so exposes. Logic: labels_admission.cc.
#include "capstan/sdk/plugin.h"

#include "labels_admission.h"

CAPSTAN_PLUGIN(capstan::examples::LabelsAdmission, capstan::examples::kLabelsAdmissionName,
               capstan::examples::kLabelsAdmissionVersion,
               capstan::examples::kLabelsAdmissionDescription,
               capstan::examples::kLabelsAdmissionSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
