// The built-in Endpoints controller (plugin `endpoints`): for every Service with a selector,
// keeps the legacy v1 Endpoints object of the same name listing the selected pods' IPs
// (`addresses` when ready or publishNotReadyAddresses, `notReadyAddresses` otherwise) with the
// Service's ports resolved per pod, and deletes it with the Service. Services without a selector
// are left alone (their users write the Endpoints). Behaviour follows kube-controller-manager
// v1.32 (pkg/controller/endpoint). Exported by plugin.cc; subsets in endpoints_subsets.h.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_ENDPOINTS_ENDPOINTS_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_ENDPOINTS_ENDPOINTS_CONTROLLER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/service_pods.h"

namespace capstan::controllers {

inline constexpr char kEndpointsPluginName[] = "endpoints";
inline constexpr char kEndpointsPluginVersion[] = "1.0.0";
inline constexpr char kEndpointsPluginDescription[] =
    "Endpoints controller: v1 Endpoints of Services with selectors (upstream v1.32 behaviour)";
inline constexpr char kEndpointsSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "maxEndpoints": {"type": "integer", "minimum": 1}
  }
})";

// Thread-safe: configuration is immutable after Init; the pod map has its own mutex.
class EndpointsController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // Primary: Services. Pods map to the Services selecting them (now or at their last event);
  // deleted Endpoints map to their Service (recreated when it still exists).
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // OK when the Endpoints match (written when they did not); RETRY_LATER when the cache is not
  // ready or the API asks to retry (a conflict with a concurrent writer).
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

 private:
  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 5;
  int64_t max_endpoints_ = 1000;
  PodServiceMap pod_map_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_ENDPOINTS_ENDPOINTS_CONTROLLER_H_
