// The HorizontalPodAutoscaler controller (plugin `horizontal-pod-autoscaler`, autoscaling/v2):
// every sync period it reads the target's scale subresource, the pods its `status.selector`
// picks and their resource metrics (metrics_source.h), computes the desired replicas
// (replica_calculator.h) for each Resource metric (cpu/memory Utilization or AverageValue),
// applies min/maxReplicas and `spec.behavior` (scaling_behavior.h), scales through the scale
// subresource and writes status (currentMetrics, current/desiredReplicas, lastScaleTime,
// AbleToScale/ScalingActive/ScalingLimited). autoscaling/v1 objects
// (`targetCPUUtilizationPercentage`) are read too. Behaviour follows kube-controller-manager v1.32
// (pkg/controller/podautoscaler). Exported by plugin.cc; tests in
// tests/plugins/controllers/horizontal-pod-autoscaler/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_HORIZONTAL_POD_AUTOSCALER_HPA_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_HORIZONTAL_POD_AUTOSCALER_HPA_CONTROLLER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/horizontal-pod-autoscaler/metrics_source.h"
#include "plugins/controllers/horizontal-pod-autoscaler/scaling_behavior.h"
#include "plugins/controllers/kit/discovery.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kHpaPluginName[] = "horizontal-pod-autoscaler";
inline constexpr char kHpaPluginVersion[] = "1.0.0";
inline constexpr char kHpaPluginDescription[] =
    "HorizontalPodAutoscaler controller: resource metrics, behavior (upstream v1.32 behaviour)";
inline constexpr char kHpaSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "syncPeriodSeconds": {"type": "integer", "minimum": 1},
    "downscaleStabilizationSeconds": {"type": "integer", "minimum": 0},
    "tolerance": {"type": "number", "minimum": 0},
    "cpuInitializationPeriodSeconds": {"type": "integer", "minimum": 0},
    "initialReadinessDelaySeconds": {"type": "integer", "minimum": 0}
  }
})";

// Thread-safe: configuration is immutable after Init; the scaling history and discovery cache
// are guarded by `mu_`; the host never reconciles one key on two workers at once.
class HorizontalPodAutoscalerController final : public sdk::ControllerPlugin {
 public:
  HorizontalPodAutoscalerController();
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // Primary autoscaling/v2 HPAs; pods are watched only to be listed (their events map to no
  // key: every HPA resyncs each sync period instead, as upstream).
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // OK (requeued after the sync period) after a sync, also when metrics are missing (reported in
  // the conditions); RETRY_LATER when the cache or the target's scale cannot be read; ERROR
  // when the status write fails otherwise.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  // Tests: the metric source and a clock in unix seconds.
  void SetMetricsSourceForTesting(std::unique_ptr<PodMetricsSource> source) {
    metrics_ = std::move(source);
  }
  void SetClockForTesting(std::function<double()> now) { now_ = std::move(now); }

 private:
  struct Outcome;  // one sync's conditions and metric statuses (hpa_controller.cc)
  // The target's `/scale` path via discovery (cached, refreshed once on a miss).
  sdk::Status ScalePath(sdk::Call& call, const Json& ref, const std::string& ns, std::string* path);
  // Desired replicas over all metrics, or -1 when none could be computed.
  int32_t ReplicasForMetrics(sdk::Call& call, const Json& hpa, const std::string& selector,
                             int32_t current, Outcome* outcome);

  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 5;
  int64_t sync_period_seconds_ = 15;
  int32_t downscale_stabilization_seconds_ = 300;
  double tolerance_ = 0.1;
  double cpu_initialization_seconds_ = 300;
  double initial_readiness_delay_seconds_ = 30;
  std::unique_ptr<PodMetricsSource> metrics_;
  std::function<double()> now_;
  std::mutex mu_;
  std::map<std::string, ScalingHistory> history_;       // guarded by mu_
  std::optional<std::vector<ApiResource>> discovered_;  // guarded by mu_
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_HORIZONTAL_POD_AUTOSCALER_HPA_CONTROLLER_H_
