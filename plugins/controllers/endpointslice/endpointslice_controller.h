// The built-in EndpointSlice controller (plugin `endpointslice`): for every Service with a
// selector, keeps discovery.k8s.io/v1 EndpointSlices (labelled kubernetes.io/service-name,
// managed by endpointslice-controller.k8s.io, owned by the Service, IPv4, at most
// `maxEndpointsPerSlice` endpoints each) listing the selected pods with their conditions and
// resolved ports; deletes them with the Service. Services without a selector are left alone.
// Behaviour follows kube-controller-manager v1.32 (pkg/controller/endpointslice). Exported by
// plugin.cc; the write plan is slice_plan.h; tests in tests/plugins/controllers/endpointslice/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_ENDPOINTSLICE_ENDPOINTSLICE_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_ENDPOINTSLICE_ENDPOINTSLICE_CONTROLLER_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/service_pods.h"

namespace capstan::controllers {

inline constexpr char kEndpointSlicePluginName[] = "endpointslice";
inline constexpr char kEndpointSlicePluginVersion[] = "1.0.0";
inline constexpr char kEndpointSlicePluginDescription[] =
    "EndpointSlice controller for Services with selectors (upstream v1.32 behaviour)";
inline constexpr char kEndpointSliceSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "maxEndpointsPerSlice": {"type": "integer", "minimum": 1, "maximum": 1000}
  }
})";

// Thread-safe: configuration is immutable after Init; the pod map and the write tracker have
// their own mutexes; the host never reconciles one Service on two workers at once.
class EndpointSliceController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // Primary: Services. Pods map to the Services selecting them (now or at their last event);
  // managed slices map to their Service.
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // OK when the slices match (written when they did not, or requeued shortly while the cache
  // has not caught up with this controller's last writes); RETRY_LATER when the cache is not
  // ready or the API asks to retry.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  // Tests: a fixed monotonic clock in milliseconds for the write tracker.
  void SetClockForTesting(std::function<int64_t()> clock_ms) { clock_ms_ = std::move(clock_ms); }

 private:
  // Writes of one Service the cache may not show yet: slice name -> resourceVersion written
  // (0 for a deletion). Forgotten when the cache shows them or after a few seconds.
  struct Pending {
    std::map<std::string, int64_t> slices;
    int64_t since_ms = 0;
  };
  // True when the cache lags the writes recorded for `key` (dropping those it shows).
  bool CacheIsStale(const std::string& key, const std::vector<Json>& cached);
  void RecordWrites(const std::string& key, const std::map<std::string, int64_t>& writes);
  sdk::Status CachedSlices(const std::string& ns, const std::string& name,
                           std::vector<Json>* slices) const;

  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 5;
  int64_t max_per_slice_ = 100;
  std::function<int64_t()> clock_ms_;
  PodServiceMap pod_map_;
  std::mutex mu_;
  std::map<std::string, Pending> pending_;  // guarded by mu_
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_ENDPOINTSLICE_ENDPOINTSLICE_CONTROLLER_H_
