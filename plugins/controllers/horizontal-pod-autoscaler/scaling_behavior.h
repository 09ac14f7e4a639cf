// HPA `spec.behavior` (upstream v1.32 horizontal.go normalizeDesiredReplicasWithBehaviors):
// stabilization windows over recent recommendations, then scaling policies (Pods/Percent per
// periodSeconds, selectPolicy Max/Min/Disabled) and min/maxReplicas, with the AbleToScale and
// ScalingLimited reasons upstream reports. Defaults follow autoscaling/v2 defaulting (scale-up:
// no window, max(100%, 4 pods) per 15 s; scale-down: the configured window, 100% per 15 s).
// Pure; the caller keeps the per-HPA history. Partners: hpa_controller.h.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_HORIZONTAL_POD_AUTOSCALER_SCALING_BEHAVIOR_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_HORIZONTAL_POD_AUTOSCALER_SCALING_BEHAVIOR_H_

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "capstan/sdk/json.h"

namespace capstan::controllers {

struct ScalingPolicy {
  std::string type;  // "Pods" or "Percent"
  int32_t value = 0;
  int32_t period_seconds = 0;
};

struct ScalingRules {
  int32_t stabilization_window_seconds = 0;
  std::string select_policy = "Max";  // "Max", "Min", "Disabled"
  std::vector<ScalingPolicy> policies;
};

struct Behavior {
  ScalingRules scale_up;
  ScalingRules scale_down;
  // `spec.behavior` (may be NULL) with autoscaling/v2 defaults filled in; an unset scale-down
  // window becomes `default_down_window_seconds` (the controller's downscale stabilization).
  static Behavior FromSpec(const sdk::json::Json* behavior, int32_t default_down_window_seconds);
};

// A recommendation or a scale change at a time (unix seconds).
struct Recommendation {
  int32_t replicas = 0;
  double at = 0;
};
struct ScaleEvent {
  int32_t change = 0;  // replicas added (scale-up list) or removed (scale-down list)
  double at = 0;
};

// Per-HPA history the controller keeps between syncs.
struct ScalingHistory {
  std::deque<Recommendation> recommendations;
  std::deque<ScaleEvent> ups;
  std::deque<ScaleEvent> downs;
};

struct Normalized {
  int32_t replicas = 0;
  // AbleToScale (True) reason/message of the stabilization step.
  std::string able_reason, able_message;
  // ScalingLimited reason/message and status ("True" when the rules changed the count).
  std::string limited_status, limited_reason, limited_message;
};

// Stabilizes `desired` against `history` (recording it) and limits it by the policies and
// min/max. `now` is unix seconds.
Normalized NormalizeDesiredReplicas(const Behavior& behavior, ScalingHistory* history,
                                    int32_t current, int32_t desired, int32_t min_replicas,
                                    int32_t max_replicas, double now);

// Records a rescale from `current` to `desired` for later policy periods; drops events older
// than the longest policy period.
void RecordScaleEvent(const Behavior& behavior, ScalingHistory* history, int32_t current,
                      int32_t desired, double now);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_HORIZONTAL_POD_AUTOSCALER_SCALING_BEHAVIOR_H_
