// Tests for plugins/sched/node-resources-fit: Filter reasons and the three scoring strategies.
#include "plugins/sched/node-resources-fit/node_resources_fit.h"

#include <gtest/gtest.h>

#include "tests/plugins/sched/testing/sched_test_util.h"
#include "tests/sdk/examples/schema_check.h"

namespace capstan::sched {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::Node;
using testing::Pod;

constexpr int64_t kGi = int64_t{1} << 30;

TEST(NodeResourcesFitTest, FilterReportsEveryInsufficientResource) {
  struct Case {
    const char* name;
    int64_t cpu, mem, gpu;
    uint32_t pods_on_node;
    capstan_rc want;
    const char* reason;
  };
  const Case cases[] = {
      {"fits", 1000, kGi, 0, 0, CAPSTAN_RC_OK, ""},
      {"cpu", 3500, kGi, 0, 0, CAPSTAN_RC_UNSCHEDULABLE, "Insufficient cpu"},
      {"memory", 100, 7 * kGi, 0, 0, CAPSTAN_RC_UNSCHEDULABLE, "Insufficient memory"},
      {"both", 3500, 7 * kGi, 0, 0, CAPSTAN_RC_UNSCHEDULABLE,
       "Insufficient cpu, Insufficient memory"},
      {"pods", 100, kGi, 0, 10, CAPSTAN_RC_UNSCHEDULABLE, "Too many pods"},
      {"scalar", 100, kGi, 2, 0, CAPSTAN_RC_UNSCHEDULABLE, "Insufficient nvidia.com/gpu"},
      {"scalar fits", 100, kGi, 1, 0, CAPSTAN_RC_OK, ""},
      {"zero requests fit a full node", 0, 0, 0, 0, CAPSTAN_RC_OK, ""},
  };
  FakeHost host;
  TestPlugin<NodeResourcesFit> p(host);
  ASSERT_TRUE(p.init().ok()) << p.init().error;
  for (const Case& c : cases) {
    Pod pod;
    pod.Requests(c.cpu, c.mem);
    if (c.gpu > 0) pod.Scalar("nvidia.com/gpu", c.gpu);
    Node node;
    node.Allocatable(4000, 8 * kGi, 10)
        .Requested(1000, 2 * kGi)
        .PodCount(c.pods_on_node)
        .AllocatableScalar("nvidia.com/gpu", 2)
        .RequestedScalar("nvidia.com/gpu", 1);
    sdk::testing::Outcome o = p.Filter(pod.get(), node.get());
    EXPECT_EQ(o.rc, c.want) << c.name;
    EXPECT_EQ(o.error, c.reason) << c.name;
  }
}

TEST(NodeResourcesFitTest, IgnoredExtendedResourcesAreNotChecked) {
  FakeHost host;
  TestPlugin<NodeResourcesFit> p(host, R"({"ignoredResourceGroups":["example.com"]})");
  ASSERT_TRUE(p.init().ok());
  Pod pod;
  pod.Scalar("example.com/foo", 5);
  Node node;
  EXPECT_TRUE(p.Filter(pod.get(), node.get()).ok());
}

TEST(NodeResourcesFitTest, ScoreFollowsTheConfiguredStrategy) {
  struct Case {
    const char* config;
    int64_t want;
  };
  // Node 4000m/8Gi with 1000m/2Gi requested; pod 1000m/2Gi: cpu 50%, memory 50% used after.
  const Case cases[] = {
      {R"({})", 50},
      {R"({"scoringStrategy":{"type":"MostAllocated"}})", 50},
      {R"({"scoringStrategy":{"type":"LeastAllocated","resources":[{"name":"cpu","weight":3},
          {"name":"memory","weight":1}]}})",
       50},
      {R"({"scoringStrategy":{"type":"RequestedToCapacityRatio",
          "requestedToCapacityRatio":{"shape":[{"utilization":0,"score":0},
                                               {"utilization":100,"score":10}]}}})",
       50},
      {R"({"scoringStrategy":{"type":"RequestedToCapacityRatio",
          "requestedToCapacityRatio":{"shape":[{"utilization":0,"score":10},
                                               {"utilization":100,"score":0}]}}})",
       50},
  };
  for (const Case& c : cases) {
    FakeHost host;
    TestPlugin<NodeResourcesFit> p(host, c.config);
    ASSERT_TRUE(p.init().ok()) << c.config;
    Pod pod;
    pod.Requests(1000, 2 * kGi);
    Node node;
    node.Allocatable(4000, 8 * kGi).Requested(1000, 2 * kGi);
    int64_t score = -1;
    ASSERT_TRUE(p.Score(pod.get(), node.get(), &score).ok());
    EXPECT_EQ(score, c.want) << c.config;
  }
}

TEST(NodeResourcesFitTest, StrategiesRankABusyNodeOppositely) {
  auto score = [](const char* config, int64_t cpu_used) {
    FakeHost host;
    TestPlugin<NodeResourcesFit> p(host, config);
    Pod pod;
    pod.Requests(1000, kGi);
    Node node;
    node.Allocatable(10000, 10 * kGi).Requested(cpu_used, 0);
    int64_t s = -1;
    EXPECT_TRUE(p.Score(pod.get(), node.get(), &s).ok());
    return s;
  };
  // Least: cpu (10000-5000)*100/10000 = 50, memory 90 -> 70; idle node: (90+90)/2 = 90.
  EXPECT_EQ(score("{}", 4000), 70);
  EXPECT_EQ(score("{}", 0), 90);
  const char* most = R"({"scoringStrategy":{"type":"MostAllocated"}})";
  EXPECT_EQ(score(most, 4000), 30);
  EXPECT_EQ(score(most, 0), 10);
}

TEST(NodeResourcesFitTest, PodsWithoutRequestsScoreWithNonZeroDefaults) {
  FakeHost host;
  TestPlugin<NodeResourcesFit> p(host, R"({"scoringStrategy":{"type":"MostAllocated"}})");
  Pod pod;
  pod.Requests(0, 0);
  Node node;
  node.Allocatable(1000, 2000LL * 1024 * 1024);
  int64_t s = -1;
  ASSERT_TRUE(p.Score(pod.get(), node.get(), &s).ok());
  EXPECT_EQ(s, 10);  // cpu 100m/1000m = 10, memory 200Mi/2000Mi = 10
}

TEST(NodeResourcesFitTest, ConfigIsValidated) {
  EXPECT_EQ(examples::testing::SchemaErrors(kNodeResourcesFitSchema,
                                            R"({"scoringStrategy":{"type":"MostAllocated"}})"),
            "");
  EXPECT_NE(examples::testing::SchemaErrors(kNodeResourcesFitSchema,
                                            R"({"scoringStrategy":{"type":"Random"}})"),
            "");
  FakeHost host;
  TestPlugin<NodeResourcesFit> no_shape(
      host, R"({"scoringStrategy":{"type":"RequestedToCapacityRatio"}})");
  EXPECT_EQ(no_shape.init().rc, CAPSTAN_RC_INVALID);
  TestPlugin<NodeResourcesFit> unsorted(
      host, R"({"scoringStrategy":{"type":"RequestedToCapacityRatio","requestedToCapacityRatio":
               {"shape":[{"utilization":50,"score":1},{"utilization":10,"score":2}]}}})");
  EXPECT_EQ(unsorted.init().rc, CAPSTAN_RC_INVALID);
}

}  // namespace
}  // namespace capstan::sched
