// The export of `deployment`: the only symbol this .so exposes. Logic:
// deployment_controller.cc, rollout.cc, deployment_util.cc.
#include "capstan/sdk/plugin.h"

#include "plugins/controllers/deployment/deployment_controller.h"

CAPSTAN_PLUGIN(capstan::controllers::DeploymentController,
               capstan::controllers::kDeploymentPluginName,
               capstan::controllers::kDeploymentPluginVersion,
               capstan::controllers::kDeploymentPluginDescription,
               capstan::controllers::kDeploymentSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
