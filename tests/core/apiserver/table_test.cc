// Tests for core/apiserver/table.h: Age strings and the columns kubectl users know.
#include "core/apiserver/table.h"

#include <gtest/gtest.h>

#include "core/apiserver/object_meta.h"

namespace capstan::apiserver {
namespace {

TEST(TableTest, HumanDurationMatchesKubectlAges) {
  struct Case {
    int64_t ms;
    const char* text;
  };
  const Case cases[] = {{0, "0s"},
                        {5000, "5s"},
                        {119000, "119s"},
                        {125000, "2m5s"},
                        {600000, "10m"},
                        {3 * 3600000, "3h"},
                        {7 * 3600000 + 60000 * 5, "7h5m"},
                        {30 * 3600000, "30h"},
                        {50 * 3600000, "2d2h"},
                        {10LL * 86400000, "10d"},
                        {800LL * 86400000, "2y70d"},
                        {-5000, "<invalid>"}};
  for (const Case& c : cases) EXPECT_EQ(HumanDuration(c.ms), c.text) << c.ms;
}

nlohmann::json Pod() {
  return nlohmann::json::parse(R"({
    "metadata": {"name": "web", "namespace": "default", "creationTimestamp": "2026-11-22T06:00:00Z",
                 "labels": {"app": "web"}, "managedFields": [{"manager": "x"}]},
    "spec": {"nodeName": "n1", "containers": [{"name": "a"}, {"name": "b"}]},
    "status": {"phase": "Running", "podIP": "10.0.0.5",
               "containerStatuses": [
                 {"name": "a", "ready": true, "restartCount": 2, "state": {"running": {}}},
                 {"name": "b", "ready": false, "restartCount": 1,
                  "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}})");
}

TEST(TableTest, PodRowShowsReadyStatusRestartsAgeAndWideColumns) {
  int64_t now = 0;
  ASSERT_TRUE(ParseRfc3339("2026-11-22T06:05:00Z", &now));
  nlohmann::json t = BuildTable("", "Pod", {Pod()}, IncludeObject::kMetadata, now, "42", "");
  EXPECT_EQ(t["kind"], "Table");
  EXPECT_EQ(t["metadata"]["resourceVersion"], "42");
  ASSERT_EQ(t["columnDefinitions"].size(), 9u);
  EXPECT_EQ(t["columnDefinitions"][0]["format"], "name");
  EXPECT_EQ(t["columnDefinitions"][5]["priority"], 1);
  const nlohmann::json& cells = t["rows"][0]["cells"];
  EXPECT_EQ(cells[0], "web");
  EXPECT_EQ(cells[1], "1/2");
  EXPECT_EQ(cells[2], "CrashLoopBackOff");
  EXPECT_EQ(cells[3], "3");
  EXPECT_EQ(cells[4], "5m");
  EXPECT_EQ(cells[5], "10.0.0.5");
  EXPECT_EQ(cells[6], "n1");
  const nlohmann::json& obj = t["rows"][0]["object"];
  EXPECT_EQ(obj["kind"], "PartialObjectMetadata");
  EXPECT_EQ(obj["metadata"]["labels"]["app"], "web");
  EXPECT_FALSE(obj["metadata"].contains("managedFields"));
}

TEST(TableTest, TerminatingPodsSayTerminating) {
  nlohmann::json pod = Pod();
  pod["metadata"]["deletionTimestamp"] = "2026-11-22T06:06:00Z";
  nlohmann::json t = BuildTable("", "Pod", {pod}, IncludeObject::kNone, 0, "", "");
  EXPECT_EQ(t["rows"][0]["cells"][2], "Terminating");
  EXPECT_FALSE(t["rows"][0].contains("object"));
}

TEST(TableTest, ServicePortsAndUnknownKindsFallBackToNameAge) {
  nlohmann::json svc = nlohmann::json::parse(R"({
    "metadata": {"name": "s", "creationTimestamp": "2026-11-22T06:00:00Z"},
    "spec": {"type": "NodePort", "clusterIP": "10.96.0.10",
             "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}],
             "selector": {"app": "web"}}})");
  nlohmann::json t = BuildTable("", "Service", {svc}, IncludeObject::kObject, 0, "", "");
  EXPECT_EQ(t["rows"][0]["cells"][4], "80:30080/TCP");
  EXPECT_EQ(t["rows"][0]["cells"][6], "app=web");
  EXPECT_EQ(t["rows"][0]["object"]["spec"]["type"], "NodePort");
  nlohmann::json other =
      BuildTable("example.com", "Widget", {svc}, IncludeObject::kNone, 0, "", "");
  EXPECT_EQ(other["columnDefinitions"].size(), 2u);
}

TEST(TableTest, HpaRowShowsReferenceTargetsAndReplicas) {
  nlohmann::json hpa = nlohmann::json::parse(R"({
    "metadata": {"name": "web", "creationTimestamp": "2026-11-22T06:00:00Z"},
    "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 5,
             "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                           "target": {"type": "Utilization", "averageUtilization": 50}}},
                         {"type": "Resource", "resource": {"name": "memory",
                           "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
                         {"type": "Resource", "resource": {"name": "cpu",
                           "target": {"type": "Utilization", "averageUtilization": 70}}}]},
    "status": {"currentReplicas": 3, "currentMetrics": [
      {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 90}}}]}})");
  nlohmann::json t =
      BuildTable("autoscaling", "HorizontalPodAutoscaler", {hpa}, IncludeObject::kNone, 0, "", "");
  ASSERT_EQ(t["columnDefinitions"].size(), 7u);
  const nlohmann::json& cells = t["rows"][0]["cells"];
  EXPECT_EQ(cells[1], "Deployment/web");
  EXPECT_EQ(cells[2], "cpu: 90%/50%, <unknown>/100Mi + 1 more...");
  EXPECT_EQ(cells[3], 1);  // minReplicas defaults to 1
  EXPECT_EQ(cells[4], 5);
  EXPECT_EQ(cells[5], 3);
  hpa["spec"].erase("metrics");
  hpa["spec"]["targetCPUUtilizationPercentage"] = 80;  // an autoscaling/v1 object
  nlohmann::json v1 =
      BuildTable("autoscaling", "HorizontalPodAutoscaler", {hpa}, IncludeObject::kNone, 0, "", "");
  EXPECT_EQ(v1["rows"][0]["cells"][2], "cpu: 90%/80%");  // current from the v2 status
  hpa["status"].erase("currentMetrics");
  v1 = BuildTable("autoscaling", "HorizontalPodAutoscaler", {hpa}, IncludeObject::kNone, 0, "", "");
  EXPECT_EQ(v1["rows"][0]["cells"][2], "cpu: <unknown>/80%");
}

TEST(TableTest, ResourceQuotaRowSplitsRequestsAndLimits) {
  nlohmann::json quota = nlohmann::json::parse(R"({
    "metadata": {"name": "q", "creationTimestamp": "2026-11-22T06:00:00Z"},
    "status": {"hard": {"pods": "2", "requests.cpu": "1", "limits.memory": "1Gi"},
               "used": {"pods": "2", "requests.cpu": "200m"}}})");
  nlohmann::json t = BuildTable("", "ResourceQuota", {quota}, IncludeObject::kNone, 0, "", "");
  const nlohmann::json& cells = t["rows"][0]["cells"];
  EXPECT_EQ(cells[2], "pods: 2/2, requests.cpu: 200m/1");
  EXPECT_EQ(cells[3], "limits.memory: 0/1Gi");
}

}  // namespace
}  // namespace capstan::apiserver
