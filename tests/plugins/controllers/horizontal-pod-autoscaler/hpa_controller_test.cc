// Tests for plugins/controllers/horizontal-pod-autoscaler through the plugin's C vtable, the
// FakeHost and a metric source the test controls: scaling through the scale subresource, status
// and conditions, min/max, zero replicas and missing metrics. Also the PodMetrics parser.
#include "plugins/controllers/horizontal-pod-autoscaler/hpa_controller.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"

namespace capstan::controllers {
namespace {

using sdk::testing::ApiCall;
using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;

constexpr char kHpas[] = "autoscaling/v2/horizontalpodautoscalers";
constexpr char kScalePath[] = "/apis/apps/v1/namespaces/ns/deployments/web/scale";
constexpr char kStatusPath[] =
    "/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers/web/status";
constexpr double kNow = 1700001000;

// Metrics the test sets; thread-safe enough for single-threaded tests.
class FakeMetrics : public PodMetricsSource {
 public:
  explicit FakeMetrics(PodMetrics* metrics) : metrics_(metrics) {}
  sdk::Status PodUsage(sdk::Call& call, std::string_view ns, std::string_view selector,
                       std::string_view resource, PodMetrics* out) override {
    (void)call, (void)ns;
    EXPECT_EQ(selector, "app=web");
    EXPECT_EQ(resource, "cpu");
    if (metrics_->empty())
      return sdk::Status::Error("no metrics returned from resource metrics API");
    *out = *metrics_;
    return sdk::Status::Ok();
  }

 private:
  PodMetrics* metrics_;
};

Json Pod(const std::string& name) {
  return {{"metadata", {{"name", name}, {"namespace", "ns"}, {"labels", {{"app", "web"}}}}},
          {"spec",
           {{"containers", {{{"name", "c"}, {"resources", {{"requests", {{"cpu", "100m"}}}}}}}}}},
          {"status",
           {{"phase", "Running"},
            {"startTime", "2023-11-14T20:00:00Z"},
            {"conditions",
             {{{"type", "Ready"},
               {"status", "True"},
               {"lastTransitionTime", "2023-11-14T20:00:00Z"}}}}}}};
}

class HpaControllerTest : public ::testing::Test {
 protected:
  HpaControllerTest() {
    plugin_ = std::make_unique<TestPlugin<HorizontalPodAutoscalerController>>(
        host_, R"({"syncPeriodSeconds":1})");
    EXPECT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    plugin_->plugin().SetMetricsSourceForTesting(std::make_unique<FakeMetrics>(&metrics_));
    plugin_->plugin().SetClockForTesting([] { return kNow; });
    host_.SetApiResponse("GET", "/api/v1", 200, R"({"resources":[]})");
    host_.SetApiResponse(
        "GET", "/apis", 200,
        R"({"groups":[{"name":"apps","preferredVersion":{"groupVersion":"apps/v1"}}]})");
    host_.SetApiResponse("GET", "/apis/apps/v1", 200,
                         R"({"groupVersion":"apps/v1","resources":[{"name":"deployments",
                             "kind":"Deployment","namespaced":true,"verbs":["get","list"]},
                             {"name":"deployments/scale","kind":"Scale","namespaced":true}]})");
    host_.SetApiResponse("PATCH", kScalePath, 200, "{}");
    host_.SetApiResponse("PATCH", kStatusPath, 200, "{}");
    host_.PutObject("/v1/pods", "other/x", "{}");
  }
  void PutHpa(int min, int max, const Json& behavior = nullptr) {
    Json hpa = {
        {"apiVersion", "autoscaling/v2"},
        {"kind", "HorizontalPodAutoscaler"},
        {"metadata", {{"name", "web"}, {"namespace", "ns"}, {"uid", "u"}}},
        {"spec",
         {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "web"}}},
          {"minReplicas", min},
          {"maxReplicas", max},
          {"metrics",
           {{{"type", "Resource"},
             {"resource",
              {{"name", "cpu"},
               {"target", {{"type", "Utilization"}, {"averageUtilization", 50}}}}}}}}}}};
    if (!behavior.is_null()) hpa["spec"]["behavior"] = behavior;
    host_.PutObject(kHpas, "ns/web", hpa.dump());
  }
  void SetScale(int replicas, int pods_with_usage, int64_t milli_each) {
    Json scale = {{"kind", "Scale"},
                  {"spec", {{"replicas", replicas}}},
                  {"status", {{"replicas", replicas}, {"selector", "app=web"}}}};
    host_.SetApiResponse("GET", kScalePath, 200, scale.dump());
    metrics_.clear();
    for (int i = 0; i < replicas; ++i) {
      std::string name = "web-" + std::to_string(i);
      host_.PutObject("/v1/pods", "ns/" + name, Pod(name).dump(), {{"app", "web"}});
      if (i < pods_with_usage) metrics_[name] = {milli_each, kNow, 15};
    }
  }
  uint64_t Sync() {
    uint64_t requeue = 0;
    sdk::testing::Outcome o = plugin_->Reconcile("ns/web", &requeue);
    EXPECT_TRUE(o.ok()) << o.error;
    return requeue;
  }
  // The replicas of the last scale patch, or -1.
  int ScaledTo() const {
    int to = -1;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == "PATCH" && c.path == kScalePath) to = Json::parse(c.body)["spec"]["replicas"];
    }
    return to;
  }
  Json Status() const {
    Json status;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == "PATCH" && c.path == kStatusPath) status = Json::parse(c.body)["status"];
    }
    return status;
  }
  static Json ConditionOf(const Json& status, const std::string& type) {
    for (const Json& c : status["conditions"]) {
      if (c["type"] == type) return c;
    }
    return nullptr;
  }

  FakeHost host_;
  PodMetrics metrics_;
  std::unique_ptr<TestPlugin<HorizontalPodAutoscalerController>> plugin_;
};

TEST_F(HpaControllerTest, ScalesUpThroughTheScaleSubresourceAndReportsStatus) {
  PutHpa(1, 10);
  SetScale(2, 2, 100);  // 100% of a 100m request against a 50% target
  EXPECT_EQ(Sync(), 1000u);
  EXPECT_EQ(ScaledTo(), 4);
  Json status = Status();
  EXPECT_EQ(status["currentReplicas"], 2);
  EXPECT_EQ(status["desiredReplicas"], 4);
  EXPECT_TRUE(status.contains("lastScaleTime"));
  EXPECT_EQ(status["currentMetrics"][0]["resource"]["current"]["averageUtilization"], 100);
  EXPECT_EQ(status["currentMetrics"][0]["resource"]["current"]["averageValue"], "100m");
  EXPECT_EQ(ConditionOf(status, "AbleToScale")["reason"], "SucceededRescale");
  EXPECT_EQ(ConditionOf(status, "ScalingActive")["reason"], "ValidMetricFound");
  EXPECT_EQ(ConditionOf(status, "ScalingLimited")["status"], "False");
}

TEST_F(HpaControllerTest, CapsAtMaxReplicasAndSaysSo) {
  PutHpa(1, 3);
  SetScale(2, 2, 500);
  Sync();
  EXPECT_EQ(ScaledTo(), 3);
  Json limited = ConditionOf(Status(), "ScalingLimited");
  EXPECT_EQ(limited["status"], "True");
  EXPECT_EQ(limited["reason"], "TooManyReplicas");
}

TEST_F(HpaControllerTest, ScalesDownImmediatelyWithoutAStabilizationWindow) {
  PutHpa(1, 10, {{"scaleDown", {{"stabilizationWindowSeconds", 0}}}});
  SetScale(4, 4, 10);
  Sync();
  EXPECT_EQ(ScaledTo(), 1);
}

TEST_F(HpaControllerTest, TheDefaultScaleDownWindowHoldsTheCount) {
  PutHpa(1, 10);
  SetScale(4, 4, 10);
  Sync();
  EXPECT_EQ(ScaledTo(), -1);
  EXPECT_EQ(ConditionOf(Status(), "AbleToScale")["reason"], "ScaleDownStabilized");
}

TEST_F(HpaControllerTest, RaisesToMinReplicasWithoutMetrics) {
  PutHpa(3, 10);
  SetScale(1, 0, 0);
  Sync();
  EXPECT_EQ(ScaledTo(), 3);
}

TEST_F(HpaControllerTest, MissingMetricsAreReportedNotScaled) {
  PutHpa(1, 10);
  SetScale(2, 0, 0);
  Sync();
  EXPECT_EQ(ScaledTo(), -1);
  Json active = ConditionOf(Status(), "ScalingActive");
  EXPECT_EQ(active["status"], "False");
  EXPECT_EQ(active["reason"], "FailedGetResourceMetric");
  EXPECT_EQ(active["message"],
            "the HPA was unable to compute the replica count: failed to get cpu utilization: no "
            "metrics returned from resource metrics API");
}

TEST_F(HpaControllerTest, ATargetAtZeroReplicasDisablesScaling) {
  PutHpa(1, 10);
  SetScale(0, 0, 0);
  Sync();
  EXPECT_EQ(ScaledTo(), -1);
  EXPECT_EQ(ConditionOf(Status(), "ScalingActive")["reason"], "ScalingDisabled");
}

TEST(PodMetricsListTest, SumsContainersPerPod) {
  Json list = Json::parse(R"({"items":[
    {"metadata":{"name":"a"},"timestamp":"2023-11-14T22:13:20Z","window":"1.5s",
     "containers":[{"name":"x","usage":{"cpu":"250m","memory":"10Mi"}},
                   {"name":"y","usage":{"cpu":"1500000n","memory":"1Mi"}}]},
    {"metadata":{"name":"b"},"timestamp":"2023-11-14T22:13:20Z","window":"15s","containers":[]}]})");
  PodMetrics m = ParsePodMetricsList(list, "cpu");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m["a"].milli, 252);
  EXPECT_EQ(m["a"].timestamp, 1700000000);
  EXPECT_EQ(m["a"].window, 1.5);
  EXPECT_EQ(ParseDurationSeconds("1m30s"), 90);
  EXPECT_EQ(QueryEscape("app in (a,b)"), "app%20in%20%28a%2Cb%29");
}

}  // namespace
}  // namespace capstan::controllers
