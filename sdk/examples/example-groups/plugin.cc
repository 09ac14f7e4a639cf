// The export of `example-groups`: the only symbol this .so exposes. Logic: groups_authz.cc.
#include "capstan/sdk/plugin.h"

#include "groups_authz.h"

CAPSTAN_PLUGIN(capstan::examples::GroupsAuthz, capstan::examples::kGroupsAuthzName,
               capstan::examples::kGroupsAuthzVersion, capstan::examples::kGroupsAuthzDescription,
               capstan::examples::kGroupsAuthzSchema,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
