// The ResourceQuota controller (plugin `resourcequota`): keeps each quota's `status.hard` equal
// to `spec.hard` and `status.used` equal to what the namespace's objects charge (quota_usage.h),
// recalculating on quota, pod, service, claim, configmap, secret and ReplicationController
// events and on a periodic resync (which also catches `count/<resource>.<group>` of resources it
// does not watch). Behaviour follows kube-controller-manager v1.32 (pkg/controller/
// resourcequota). Exported by plugin.cc; tests in tests/plugins/controllers/resourcequota/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_RESOURCEQUOTA_RESOURCE_QUOTA_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_RESOURCEQUOTA_RESOURCE_QUOTA_CONTROLLER_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/discovery.h"
#include "plugins/controllers/kit/object_util.h"
#include "plugins/controllers/resourcequota/quota_usage.h"

namespace capstan::controllers {

inline constexpr char kQuotaPluginName[] = "resourcequota";
inline constexpr char kQuotaPluginVersion[] = "1.0.0";
inline constexpr char kQuotaPluginDescription[] =
    "ResourceQuota controller: status.hard and status.used (upstream v1.32 behaviour)";
inline constexpr char kQuotaSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "resyncSeconds": {"type": "integer", "minimum": 0}
  }
})";

// Thread-safe: configuration is immutable after Init; the discovery cache has its own mutex;
// the host never reconciles one key on two workers at once.
class ResourceQuotaController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // Primary /v1/resourcequotas; the counted core resources are mapped to their namespace's
  // quotas that track them.
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // OK when the status is current; RETRY_LATER when the cache is not ready or the API asks to
  // retry; ERROR when listing or the status write fails otherwise.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

 private:
  // Objects of `target` in `ns`: from the host cache for watched core resources, else listed
  // through the API at the group's preferred version.
  sdk::Status List(sdk::Call& call, const QuotaTarget& target, std::string_view ns, Json* items);
  // The API path of `target`'s collection in `ns`, via discovery (cached).
  sdk::Status CollectionPath(sdk::Call& call, const QuotaTarget& target, std::string_view ns,
                             std::string* path);

  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 5;
  int64_t resync_seconds_ = 300;
  std::mutex mu_;
  std::optional<std::vector<ApiResource>> discovered_;  // guarded by mu_
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_RESOURCEQUOTA_RESOURCE_QUOTA_CONTROLLER_H_
