// Tests for core/api/hpa_conversion.h and conversion.h: HorizontalPodAutoscaler v1 <-> v2 as
// upstream converts it, table-driven, and round trips that keep what v1 cannot express.
#include "core/api/hpa_conversion.h"

#include <gtest/gtest.h>

#include "core/api/conversion.h"

namespace capstan::api {
namespace {

using nlohmann::json;

json V1(json spec, json status = nullptr) {
  json o = {{"apiVersion", "autoscaling/v1"},
            {"kind", "HorizontalPodAutoscaler"},
            {"metadata", {{"name", "h"}, {"namespace", "default"}}},
            {"spec", std::move(spec)}};
  if (!status.is_null()) o["status"] = std::move(status);
  return o;
}

const json kRef = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "web"}};

json Cpu(int target) {
  return {
      {"type", "Resource"},
      {"resource",
       {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", target}}}}}};
}

json Memory() {
  return {
      {"type", "Resource"},
      {"resource",
       {{"name", "memory"}, {"target", {{"type", "AverageValue"}, {"averageValue", "100Mi"}}}}}};
}

struct V1ToV2Case {
  std::string name;
  json v1;
  json want_spec_metrics;
};

class V1ToV2Test : public testing::TestWithParam<V1ToV2Case> {};

TEST_P(V1ToV2Test, SpecMetricsAreUpstreams) {
  json o = GetParam().v1;
  ASSERT_TRUE(HpaV1ToV2(&o).ok());
  EXPECT_EQ(o["apiVersion"], "autoscaling/v2");
  EXPECT_EQ(o["spec"]["metrics"], GetParam().want_spec_metrics) << o.dump();
  EXPECT_FALSE(o["spec"].contains("targetCPUUtilizationPercentage"));
  EXPECT_EQ(o["spec"]["scaleTargetRef"], kRef);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, V1ToV2Test,
    testing::Values(V1ToV2Case{"CpuTargetBecomesAUtilizationMetric",
                               V1({{"scaleTargetRef", kRef},
                                   {"maxReplicas", 5},
                                   {"targetCPUUtilizationPercentage", 60}}),
                               json::array({Cpu(60)})},
                    V1ToV2Case{"NoTargetMeansUpstreamsDefaultOf80Percent",
                               V1({{"scaleTargetRef", kRef}, {"maxReplicas", 5}}),
                               json::array({Cpu(80)})},
                    V1ToV2Case{"OtherMetricsComeFromTheirAnnotation",
                               [] {
                                 json o = V1({{"scaleTargetRef", kRef},
                                              {"maxReplicas", 5},
                                              {"targetCPUUtilizationPercentage", 50}});
                                 o["metadata"]["annotations"] = {
                                     {"autoscaling.alpha.kubernetes.io/metrics",
                                      json::array({Memory()}).dump()}};
                                 return o;
                               }(),
                               json::array({Cpu(50), Memory()})}),
    [](const testing::TestParamInfo<V1ToV2Case>& p) { return p.param.name; });

TEST(HpaConversionTest, V2ToV1KeepsWhatV1CannotHoldInAnnotationsAndRoundTrips) {
  json v2 = {{"apiVersion", "autoscaling/v2"},
             {"kind", "HorizontalPodAutoscaler"},
             {"metadata", {{"name", "h"}}},
             {"spec",
              {{"scaleTargetRef", kRef},
               {"minReplicas", 2},
               {"maxReplicas", 9},
               {"metrics", json::array({Memory(), Cpu(70)})},
               {"behavior", {{"scaleDown", {{"stabilizationWindowSeconds", 30}}}}}}},
             {"status",
              {{"currentReplicas", 3},
               {"desiredReplicas", 4},
               {"currentMetrics",
                json::array({{{"type", "Resource"},
                              {"resource",
                               {{"name", "cpu"}, {"current", {{"averageUtilization", 91}}}}}}})},
               {"conditions", json::array({{{"type", "AbleToScale"}, {"status", "True"}}})}}}};
  json v1 = v2;
  HpaV2ToV1(&v1);
  EXPECT_EQ(v1["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(v1["spec"]["targetCPUUtilizationPercentage"], 70);
  EXPECT_FALSE(v1["spec"].contains("metrics"));
  EXPECT_FALSE(v1["spec"].contains("behavior"));
  EXPECT_EQ(v1["status"]["currentCPUUtilizationPercentage"], 91);
  EXPECT_FALSE(v1["status"].contains("conditions"));
  const json& a = v1["metadata"]["annotations"];
  EXPECT_EQ(json::parse(a["autoscaling.alpha.kubernetes.io/metrics"].get<std::string>()),
            json::array({Memory()}));
  EXPECT_TRUE(a.contains("autoscaling.alpha.kubernetes.io/behavior"));
  EXPECT_TRUE(a.contains("autoscaling.alpha.kubernetes.io/conditions"));

  json back = v1;
  ASSERT_TRUE(HpaV1ToV2(&back).ok());
  EXPECT_EQ(back["spec"]["metrics"], json::array({Cpu(70), Memory()}));  // CPU first, as v1 has it
  EXPECT_EQ(back["spec"]["behavior"], v2["spec"]["behavior"]);
  EXPECT_EQ(back["status"]["conditions"], v2["status"]["conditions"]);
  EXPECT_EQ(back["status"]["currentMetrics"], v2["status"]["currentMetrics"]);
  EXPECT_FALSE(back["metadata"].contains("annotations"));
}

TEST(HpaConversionTest, AMalformedAnnotationIsAnInvalidError) {
  json o = V1({{"scaleTargetRef", kRef}, {"maxReplicas", 5}});
  o["metadata"]["annotations"] = {{"autoscaling.alpha.kubernetes.io/metrics", "{not json"}};
  Status s = HpaV1ToV2(&o);
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_NE(s.message().find("autoscaling.alpha.kubernetes.io/metrics"), std::string::npos);
}

TEST(ConversionTest, OnlyHpaV1IsConverted) {
  EXPECT_TRUE(NeedsConversion("autoscaling", "horizontalpodautoscalers", "v1"));
  EXPECT_FALSE(NeedsConversion("autoscaling", "horizontalpodautoscalers", "v2"));
  EXPECT_FALSE(NeedsConversion("apps", "deployments", "v1"));
  json d = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}};
  ASSERT_TRUE(ToStorageVersion("apps", "deployments", "v1", &d).ok());
  EXPECT_EQ(d["apiVersion"], "apps/v1");
}

}  // namespace
}  // namespace capstan::api
