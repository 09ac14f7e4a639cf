// Tests for plugins/controllers/horizontal-pod-autoscaler/replica_calculator: upstream's replica
// arithmetic (tolerance, ceil, missing metrics, unready pods, ignored pods, AverageValue).
#include "plugins/controllers/horizontal-pod-autoscaler/replica_calculator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace capstan::controllers {
namespace {

using sdk::json::Json;

constexpr double kNow = 1700001000;                  // pods started long before (outside cpu init)
constexpr char kStarted[] = "2023-11-14T22:00:00Z";  // kNow (22:30:00Z) - 1800

// A running, ready pod requesting `cpu_request` millicores.
Json Pod(const std::string& name, int64_t cpu_request, const std::string& phase = "Running",
         bool ready = true) {
  return {
      {"metadata", {{"name", name}}},
      {"spec",
       {{"containers",
         {{{"name", "c"},
           {"resources",
            {{"requests", {{"cpu", std::to_string(cpu_request) + "m"}, {"memory", "100Mi"}}}}}}}}}},
      {"status",
       {{"phase", phase},
        {"startTime", kStarted},
        {"conditions",
         {{{"type", "Ready"},
           {"status", ready ? "True" : "False"},
           {"lastTransitionTime", kStarted}}}}}}};
}

struct Case {
  std::string name;
  int32_t current;
  std::vector<Json> pods;
  std::vector<std::pair<std::string, int64_t>> usage;  // millicores
  int32_t target_percent;
  int32_t want_replicas;
  int32_t want_utilization;
};

TEST(ResourceUtilizationReplicasTest, FollowsUpstreamsAlgorithm) {
  std::vector<Case> cases = {
      {"scales up by the usage ratio",
       3,
       {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000)},
       {{"a", 900}, {"b", 900}, {"c", 900}},
       30,
       9,
       90},
      {"scales down by the usage ratio",
       4,
       {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000), Pod("d", 1000)},
       {{"a", 100}, {"b", 100}, {"c", 100}, {"d", 100}},
       50,
       1,
       10},
      {"stays within the 10% tolerance",
       2,
       {Pod("a", 1000), Pod("b", 1000)},
       {{"a", 540}, {"b", 540}},
       50,
       2,
       54},
      {"missing metrics at the target damp a scale down",
       3,
       {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000)},
       {{"a", 100}, {"b", 100}},
       50,
       3,
       10},
      {"missing metrics count as idle on scale up",
       3,
       {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000)},
       {{"a", 1000}, {"b", 1000}},
       50,
       4,
       100},
      {"unready pods count as idle on scale up",
       3,
       {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000, "Pending", false)},
       {{"a", 1000}, {"b", 1000}},
       50,
       4,
       100},
      {"failed and deleted pods are ignored",
       3,
       {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000, "Failed")},
       {{"a", 1000}, {"b", 1000}, {"c", 5000}},
       50,
       4,
       100},
      {"a scale-up that missing pods would reverse does nothing",
       4,
       {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000), Pod("d", 1000)},
       {{"a", 600}, {"b", 600}},
       50,
       4,
       60},
  };
  for (const Case& c : cases) {
    Json pods = Json::array();
    for (const Json& p : c.pods) pods.push_back(p);
    ReplicaInputs in;
    in.current_replicas = c.current;
    in.resource = "cpu";
    in.pods = &pods;
    in.now = kNow;
    for (const auto& [name, milli] : c.usage) in.metrics[name] = {milli, kNow, 15};
    ReplicaProposal out;
    sdk::Status s = ResourceUtilizationReplicas(in, c.target_percent, &out);
    ASSERT_TRUE(s.ok()) << c.name << ": " << s.message();
    EXPECT_EQ(out.replicas, c.want_replicas) << c.name;
    EXPECT_EQ(out.utilization, c.want_utilization) << c.name;
  }
}

TEST(ResourceUtilizationReplicasTest, ReportsUpstreamsErrors) {
  Json none = Json::array();
  ReplicaInputs in;
  in.resource = "cpu";
  in.pods = &none;
  ReplicaProposal out;
  EXPECT_EQ(ResourceUtilizationReplicas(in, 50, &out).message(),
            "no pods returned by selector while calculating replica count");
  Json pods = Json::array({Pod("a", 1000)});
  pods[0]["spec"]["containers"][0]["resources"] = Json::object();
  in.pods = &pods;
  in.metrics["a"] = {100, kNow, 15};
  EXPECT_EQ(ResourceUtilizationReplicas(in, 50, &out).message(),
            "missing request for cpu in container c of Pod a");
  EXPECT_EQ(ResourceUtilizationReplicas(in, 0, &out).code(), CAPSTAN_RC_INVALID);
  Json pending = Json::array({Pod("a", 1000, "Pending", false)});
  in.pods = &pending;
  EXPECT_EQ(ResourceUtilizationReplicas(in, 50, &out).message(),
            "did not receive metrics for any ready pods");
}

TEST(ResourceUtilizationReplicasTest, IgnoresCpuSamplesFromAPodsInitialization) {
  Json pods = Json::array({Pod("a", 1000), Pod("b", 1000)});
  // "b" became ready 10 s ago, inside its cpu initialization period: its sample is too early.
  pods[1]["status"]["startTime"] = "2023-11-14T22:29:20Z";  // kNow - 40
  pods[1]["status"]["conditions"][0]["lastTransitionTime"] = "2023-11-14T22:29:50Z";
  ReplicaInputs in;
  in.current_replicas = 2;
  in.resource = "cpu";
  in.pods = &pods;
  in.now = kNow;
  in.metrics["a"] = {200, kNow, 15};
  in.metrics["b"] = {2000, kNow - 5, 15};
  ReplicaProposal out;
  ASSERT_TRUE(ResourceUtilizationReplicas(in, 50, &out).ok());
  EXPECT_EQ(out.utilization, 20);  // only "a" counted
  EXPECT_EQ(out.replicas, 1);      // ceil(0.4 * one ready pod)
}

TEST(ResourceAverageValueReplicasTest, DividesAverageUsageByTheTarget) {
  Json pods = Json::array({Pod("a", 100), Pod("b", 100)});
  ReplicaInputs in;
  in.current_replicas = 2;
  in.resource = "memory";
  in.pods = &pods;
  in.now = kNow;
  in.metrics["a"] = {300LL << 20, kNow, 15};  // thousandths of bytes do not matter for ratios
  in.metrics["b"] = {300LL << 20, kNow, 15};
  ReplicaProposal out;
  ASSERT_TRUE(ResourceAverageValueReplicas(in, 100LL << 20, &out).ok());
  EXPECT_EQ(out.replicas, 6);
  EXPECT_EQ(out.average_milli, 300LL << 20);
}

}  // namespace
}  // namespace capstan::controllers
