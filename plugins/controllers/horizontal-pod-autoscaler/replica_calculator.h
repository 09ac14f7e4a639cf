// The replica arithmetic of the HorizontalPodAutoscaler (upstream's ReplicaCalculator, v1.32
// pkg/controller/podautoscaler/replica_calculator.go): pods grouped into ready, unready
// (pending, or cpu samples from a pod's initialization), missing-metric and ignored (deleting,
// failed) ones; desired = ceil(current usage ratio * pods) outside the tolerance, with missing
// pods assumed at the target (scale down) or idle (scale up) and unready pods idle on scale-up.
// Pure functions, no I/O. Partners: hpa_controller.h; tests in
// tests/plugins/controllers/horizontal-pod-autoscaler/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_HORIZONTAL_POD_AUTOSCALER_REPLICA_CALCULATOR_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_HORIZONTAL_POD_AUTOSCALER_REPLICA_CALCULATOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "capstan/sdk/json.h"
#include "capstan/sdk/status.h"

namespace capstan::controllers {

// One pod's usage of a resource, summed over its containers, in thousandths (millicores,
// milli-bytes), with the sample's time and window in unix seconds / seconds.
struct PodMetric {
  int64_t milli = 0;
  double timestamp = 0;
  double window = 0;
};
// By pod name.
using PodMetrics = std::map<std::string, PodMetric>;

struct ReplicaInputs {
  int32_t current_replicas = 0;
  std::string resource;         // "cpu", "memory"
  const sdk::json::Json* pods;  // the target's pods (a JSON array), never NULL
  PodMetrics metrics;
  double now = 0;  // unix seconds
  double tolerance = 0.1;
  double cpu_initialization_seconds = 300;
  double initial_readiness_delay_seconds = 30;
};

struct ReplicaProposal {
  int32_t replicas = 0;
  int32_t utilization = 0;    // percent of requests (Utilization targets)
  int64_t average_milli = 0;  // average usage of the counted pods
};

// A target of `target_utilization` percent of the pods' requests. Errors (ERROR) with upstream's
// messages: no pods, a container without a request for the resource, no metrics for ready pods.
sdk::Status ResourceUtilizationReplicas(const ReplicaInputs& in, int32_t target_utilization,
                                        ReplicaProposal* out);
// A target average usage per pod in thousandths.
sdk::Status ResourceAverageValueReplicas(const ReplicaInputs& in, int64_t target_average_milli,
                                         ReplicaProposal* out);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_HORIZONTAL_POD_AUTOSCALER_REPLICA_CALCULATOR_H_
