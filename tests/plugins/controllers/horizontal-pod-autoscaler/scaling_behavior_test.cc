// Tests for plugins/controllers/horizontal-pod-autoscaler/scaling_behavior: stabilization
// windows, Pods/Percent policies with periods, selectPolicy and min/max, with upstream's reasons.
#include "plugins/controllers/horizontal-pod-autoscaler/scaling_behavior.h"

#include <gtest/gtest.h>

#include <string>

namespace capstan::controllers {
namespace {

using sdk::json::Json;

TEST(BehaviorTest, DefaultsFollowAutoscalingV2) {
  Behavior b = Behavior::FromSpec(nullptr, 300);
  EXPECT_EQ(b.scale_up.stabilization_window_seconds, 0);
  ASSERT_EQ(b.scale_up.policies.size(), 2u);
  EXPECT_EQ(b.scale_down.stabilization_window_seconds, 300);
  Json spec = {{"scaleDown", {{"stabilizationWindowSeconds", 0}}}};
  EXPECT_EQ(Behavior::FromSpec(&spec, 300).scale_down.stabilization_window_seconds, 0);
}

TEST(NormalizeTest, TheScaleDownWindowKeepsTheHighestRecentRecommendation) {
  Behavior b = Behavior::FromSpec(nullptr, 300);
  ScalingHistory h;
  EXPECT_EQ(NormalizeDesiredReplicas(b, &h, 5, 5, 1, 10, 1000).replicas, 5);
  Normalized n = NormalizeDesiredReplicas(b, &h, 5, 2, 1, 10, 1100);
  EXPECT_EQ(n.replicas, 5);
  EXPECT_EQ(n.able_reason, "ScaleDownStabilized");
  // Once the window has passed, the lower recommendations win.
  EXPECT_EQ(NormalizeDesiredReplicas(b, &h, 5, 2, 1, 10, 1350).replicas, 2);
}

TEST(NormalizeTest, ScaleUpIsLimitedByTheLargerDefaultPolicy) {
  Behavior b = Behavior::FromSpec(nullptr, 0);
  ScalingHistory h;
  // From 1: max(100% -> 2, +4 pods -> 5) = 5.
  Normalized n = NormalizeDesiredReplicas(b, &h, 1, 20, 1, 50, 1000);
  EXPECT_EQ(n.replicas, 5);
  EXPECT_EQ(n.limited_status, "True");
  EXPECT_EQ(n.limited_reason, "ScaleUpLimit");
  // Within the same 15 s period the earlier rise counts against the limit.
  RecordScaleEvent(b, &h, 1, 5, 1000);
  EXPECT_EQ(NormalizeDesiredReplicas(b, &h, 5, 20, 1, 50, 1005).replicas, 5);
  EXPECT_EQ(NormalizeDesiredReplicas(b, &h, 5, 20, 1, 50, 1016).replicas, 10);
}

TEST(NormalizeTest, PoliciesSelectPoliciesAndBounds) {
  struct Case {
    std::string name;
    Json behavior;
    int32_t current, desired, min, max, want;
    std::string reason;
  };
  Json pods_min = {{"scaleUp",
                    {{"selectPolicy", "Min"},
                     {"policies",
                      {{{"type", "Pods"}, {"value", 1}, {"periodSeconds", 60}},
                       {{"type", "Percent"}, {"value", 50}, {"periodSeconds", 60}}}}}}};
  Json down_pods = {{"scaleDown",
                     {{"stabilizationWindowSeconds", 0},
                      {"policies", {{{"type", "Pods"}, {"value", 2}, {"periodSeconds", 60}}}}}}};
  Json down_disabled = {
      {"scaleDown", {{"stabilizationWindowSeconds", 0}, {"selectPolicy", "Disabled"}}}};
  for (const Case& c :
       std::vector<Case>{{"min of pods and percent", pods_min, 4, 10, 1, 20, 5, "ScaleUpLimit"},
                         {"max replicas", Json::object(), 4, 10, 1, 6, 6, "TooManyReplicas"},
                         {"scale down by pods", down_pods, 10, 1, 1, 20, 8, "ScaleDownLimit"},
                         {"min replicas", down_pods, 3, 1, 2, 20, 2, "TooFewReplicas"},
                         {"scale down disabled", down_disabled, 6, 2, 1, 20, 6, "ScaleDownLimit"},
                         {"within range", down_pods, 6, 5, 1, 20, 5, "DesiredWithinRange"}}) {
    Behavior b = Behavior::FromSpec(&c.behavior, 0);
    ScalingHistory h;
    Normalized n = NormalizeDesiredReplicas(b, &h, c.current, c.desired, c.min, c.max, 1000);
    EXPECT_EQ(n.replicas, c.want) << c.name;
    EXPECT_EQ(n.limited_reason, c.reason) << c.name;
  }
}

}  // namespace
}  // namespace capstan::controllers
