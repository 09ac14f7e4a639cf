// HPA scaling behavior (scaling_behavior.h).
#include "plugins/controllers/horizontal-pod-autoscaler/scaling_behavior.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {
namespace {

constexpr int32_t kMaxInt = std::numeric_limits<int32_t>::max();
constexpr int32_t kMinInt = std::numeric_limits<int32_t>::min();

ScalingRules Rules(const Json* rules, ScalingRules defaults) {
  if (rules == nullptr || !rules->is_object()) return defaults;
  ScalingRules out = defaults;
  if (const Json* w = sdk::json::Find(*rules, "stabilizationWindowSeconds");
      w != nullptr && w->is_number_integer()) {
    out.stabilization_window_seconds = w->get<int32_t>();
  }
  out.select_policy = GetStr(*rules, {"selectPolicy"}, defaults.select_policy);
  const Json* policies = sdk::json::Find(*rules, "policies");
  if (policies != nullptr && policies->is_array()) {
    out.policies.clear();
    for (const Json& p : *policies) {
      out.policies.push_back({GetStr(p, {"type"}), static_cast<int32_t>(GetNum(p, {"value"})),
                              static_cast<int32_t>(GetNum(p, {"periodSeconds"}, 15))});
    }
  }
  return out;
}

// Replicas changed by `events` within the last `period` seconds.
int32_t ChangeInPeriod(const std::deque<ScaleEvent>& events, int32_t period, double now) {
  int32_t sum = 0;
  for (const ScaleEvent& e : events) {
    if (e.at > now - period) sum += e.change;
  }
  return sum;
}

int32_t ScaleUpLimit(const ScalingRules& rules, const ScalingHistory& h, int32_t current,
                     double now) {
  if (rules.select_policy == "Disabled") return current;
  bool max = rules.select_policy != "Min";
  int32_t result = max ? kMinInt : kMaxInt;
  for (const ScalingPolicy& p : rules.policies) {
    int32_t start = current - ChangeInPeriod(h.ups, p.period_seconds, now) +
                    ChangeInPeriod(h.downs, p.period_seconds, now);
    int32_t proposed = p.type == "Pods"
                           ? start + p.value
                           : static_cast<int32_t>(std::ceil(start * (1 + p.value / 100.0)));
    result = max ? std::max(result, proposed) : std::min(result, proposed);
  }
  return result;
}

int32_t ScaleDownLimit(const ScalingRules& rules, const ScalingHistory& h, int32_t current,
                       double now) {
  if (rules.select_policy == "Disabled") return current;
  bool max = rules.select_policy != "Min";  // the biggest change is the lowest limit
  int32_t result = max ? kMaxInt : kMinInt;
  for (const ScalingPolicy& p : rules.policies) {
    int32_t start = current - ChangeInPeriod(h.ups, p.period_seconds, now) +
                    ChangeInPeriod(h.downs, p.period_seconds, now);
    int32_t proposed =
        p.type == "Pods" ? start - p.value : static_cast<int32_t>(start * (1 - p.value / 100.0));
    result = max ? std::min(result, proposed) : std::max(result, proposed);
  }
  return result;
}

}  // namespace

Behavior Behavior::FromSpec(const Json* behavior, int32_t default_down_window_seconds) {
  ScalingRules up{0, "Max", {{"Percent", 100, 15}, {"Pods", 4, 15}}};
  ScalingRules down{default_down_window_seconds, "Max", {{"Percent", 100, 15}}};
  Behavior b;
  b.scale_up = Rules(behavior == nullptr ? nullptr : sdk::json::Find(*behavior, "scaleUp"), up);
  b.scale_down =
      Rules(behavior == nullptr ? nullptr : sdk::json::Find(*behavior, "scaleDown"), down);
  return b;
}

Normalized NormalizeDesiredReplicas(const Behavior& behavior, ScalingHistory* history,
                                    int32_t current, int32_t desired, int32_t min_replicas,
                                    int32_t max_replicas, double now) {
  Normalized out;
  // Stabilization: the lowest recommendation of the scale-up window caps a rise, the highest of
  // the scale-down window floors a fall.
  int32_t up = desired;
  int32_t down = desired;
  double up_cutoff = now - behavior.scale_up.stabilization_window_seconds;
  double down_cutoff = now - behavior.scale_down.stabilization_window_seconds;
  for (const Recommendation& r : history->recommendations) {
    if (r.at > up_cutoff) up = std::min(up, r.replicas);
    if (r.at > down_cutoff) down = std::max(down, r.replicas);
  }
  int32_t stabilized = std::min(std::max(current, up), down);
  history->recommendations.push_back({desired, now});
  double keep = std::max(behavior.scale_up.stabilization_window_seconds,
                         behavior.scale_down.stabilization_window_seconds);
  while (!history->recommendations.empty() && history->recommendations.front().at <= now - keep) {
    history->recommendations.pop_front();
  }
  if (stabilized == desired) {
    out.able_reason = "ReadyForNewScale";
    out.able_message = "recommended size matches current size";
  } else if (stabilized < desired) {
    out.able_reason = "ScaleUpStabilized";
    out.able_message =
        "recent recommendations were lower than current one, applying the lowest recent "
        "recommendation";
  } else {
    out.able_reason = "ScaleDownStabilized";
    out.able_message =
        "recent recommendations were higher than current one, applying the highest recent "
        "recommendation";
  }

  int32_t result = stabilized;
  out.limited_reason = "DesiredWithinRange";
  out.limited_message = "the desired count is within the acceptable range";
  if (stabilized > current) {
    int32_t limit = std::max(ScaleUpLimit(behavior.scale_up, *history, current, now), current);
    int32_t allowed = max_replicas;
    std::string reason = "TooManyReplicas";
    std::string message = "the desired replica count is more than the maximum replica count";
    if (allowed > limit) {
      allowed = limit;
      reason = "ScaleUpLimit";
      message = "the desired replica count is increasing faster than the maximum scale rate";
    }
    if (stabilized > allowed) {
      result = allowed;
      out.limited_reason = reason;
      out.limited_message = message;
    }
  } else if (stabilized < current) {
    int32_t limit = std::min(ScaleDownLimit(behavior.scale_down, *history, current, now), current);
    int32_t allowed = min_replicas;
    std::string reason = "TooFewReplicas";
    std::string message = "the desired replica count is less than the minimum replica count";
    if (allowed < limit) {
      allowed = limit;
      reason = "ScaleDownLimit";
      message = "the desired replica count is decreasing faster than the maximum scale rate";
    }
    if (stabilized < allowed) {
      result = allowed;
      out.limited_reason = reason;
      out.limited_message = message;
    }
  }
  out.replicas = result;
  out.limited_status = result == stabilized ? "False" : "True";
  return out;
}

void RecordScaleEvent(const Behavior& behavior, ScalingHistory* history, int32_t current,
                      int32_t desired, double now) {
  if (desired > current) history->ups.push_back({desired - current, now});
  if (desired < current) history->downs.push_back({current - desired, now});
  int32_t longest = 0;
  for (const ScalingRules* r : {&behavior.scale_up, &behavior.scale_down}) {
    for (const ScalingPolicy& p : r->policies) longest = std::max(longest, p.period_seconds);
  }
  for (std::deque<ScaleEvent>* events : {&history->ups, &history->downs}) {
    while (!events->empty() && events->front().at <= now - longest) events->pop_front();
  }
}

}  // namespace capstan::controllers
