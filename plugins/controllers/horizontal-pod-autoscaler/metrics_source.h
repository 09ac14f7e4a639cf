// Where the HPA reads pod usage from: `PodMetricsSource` is the seam unit tests drive with
// values they control; `ApiPodMetricsSource` reads PodMetrics from the resource metrics API
// (GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods?labelSelector=...) through the host's
// API client, summing each pod's containers. Partners: replica_calculator.h, hpa_controller.h.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_HORIZONTAL_POD_AUTOSCALER_METRICS_SOURCE_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_HORIZONTAL_POD_AUTOSCALER_METRICS_SOURCE_H_

#include <string>
#include <string_view>

#include "capstan/sdk/call.h"
#include "capstan/sdk/json.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/horizontal-pod-autoscaler/replica_calculator.h"

namespace capstan::controllers {

// Thread-safe implementations only: the controller calls it from several workers.
class PodMetricsSource {
 public:
  virtual ~PodMetricsSource() = default;
  // Usage of `resource` ("cpu", "memory") per pod of `ns` matching `selector` (label-selector
  // text). ERROR / RETRY_LATER when the metrics cannot be read; an empty map is OK.
  virtual sdk::Status PodUsage(sdk::Call& call, std::string_view ns, std::string_view selector,
                               std::string_view resource, PodMetrics* out) = 0;
};

class ApiPodMetricsSource final : public PodMetricsSource {
 public:
  sdk::Status PodUsage(sdk::Call& call, std::string_view ns, std::string_view selector,
                       std::string_view resource, PodMetrics* out) override;
};

// Parses a PodMetricsList body into per-pod sums of `resource` (exposed for tests).
PodMetrics ParsePodMetricsList(const sdk::json::Json& list, std::string_view resource);
// "15s", "1.5s", "1m0s", "500ms" -> seconds; 0 when unreadable.
double ParseDurationSeconds(std::string_view text);
// Percent-encodes a query value (RFC 3986 unreserved characters pass).
std::string QueryEscape(std::string_view value);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_HORIZONTAL_POD_AUTOSCALER_METRICS_SOURCE_H_
