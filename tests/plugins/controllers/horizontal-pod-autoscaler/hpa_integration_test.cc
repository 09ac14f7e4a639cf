// Integration test of the horizontal-pod-autoscaler plugin (.so) in the controller host against
// an in-process API server over HTTPS (which serves no metrics API): the target's scale
// subresource is found by discovery and raised to minReplicas, and the status reports the
// rescale and the metrics that could not be read.
#include <gtest/gtest.h>

#include <string>

#include "core/controllers/controller_host.h"
#include "tests/core/controllers/test_cluster.h"

namespace capstan::controllers {
namespace {

using nlohmann::json;
using testing::ControllerTestCluster;
using testing::Eventually;

constexpr char kDeployment[] = "/apis/apps/v1/namespaces/default/deployments/web";
constexpr char kHpas[] = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers";

TEST(HpaIntegrationTest, RaisesTheTargetToMinReplicasThroughItsScaleSubresource) {
  ControllerTestCluster cluster;
  std::unique_ptr<client::ApiClient> client = cluster.NewClient();
  Result<std::unique_ptr<ControllerHost>> host = testing::StartHostWithPlugins(
      client.get(), CAPSTAN_TEST_PLUGIN_DIR,
      json::array({{{"name", "hpa"},
                    {"library", "controllers/horizontal-pod-autoscaler.so"},
                    {"config", {{"syncPeriodSeconds", 1}}}}}));
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  json deployment = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web"},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"c","image":"busybox"}]}}}})");
  ASSERT_TRUE(client->Create("/apis/apps/v1/namespaces/default/deployments", deployment).ok());
  json hpa = json::parse(R"({"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler",
    "metadata":{"name":"web"},
    "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},
      "minReplicas":2,"maxReplicas":4,
      "metrics":[{"type":"Resource","resource":{"name":"cpu",
        "target":{"type":"Utilization","averageUtilization":50}}}]}})");
  ASSERT_TRUE(client->Create(kHpas, hpa).ok());

  EXPECT_TRUE(Eventually([&] {
    Result<json> d = client->Get(kDeployment);
    return d.ok() && (*d)["spec"].value("replicas", 0) == 2;
  }));
  json status;
  EXPECT_TRUE(Eventually([&] {
    Result<json> h = client->Get(std::string(kHpas) + "/web");
    if (!h.ok()) return false;
    status = h->value("status", json::object());
    return status.value("desiredReplicas", 0) == 2 && status.contains("lastScaleTime");
  })) << status.dump();
  host.value()->Stop();
}

}  // namespace
}  // namespace capstan::controllers
