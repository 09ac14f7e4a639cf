// Tests for plugins/sched/node-resources-balanced-allocation: scores by the spread of the
// utilization fractions; best-effort pods skip.
#include "plugins/sched/node-resources-balanced-allocation/balanced_allocation.h"

#include <gtest/gtest.h>

#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::Node;
using testing::Pod;
using testing::SchedDriver;

constexpr int64_t kGi = int64_t{1} << 30;

TEST(BalancedAllocationTest, ScoreIsOneMinusTheSpreadOfFractions) {
  struct Case {
    const char* name;
    int64_t pod_cpu, pod_mem, used_cpu, used_mem;
    int64_t want;
  };
  const Case cases[] = {
      {"perfectly balanced", 1000, 2 * kGi, 1000, 2 * kGi, 100},  // 0.5 / 0.5
      {"cpu heavy", 3000, kGi, 1000, kGi, 62},                    // 1.0 / 0.25 -> 1 - .375
      {"fractions capped at one", 8000, 0, 0, 0, 50},             // 1.0 / 0.0
      {"memory only", 0, 4 * kGi, 0, 0, 75},                      // 0 / 0.5
  };
  FakeHost host;
  TestPlugin<BalancedAllocation> p(host);
  ASSERT_TRUE(p.init().ok());
  for (const Case& c : cases) {
    Pod pod;
    pod.Requests(c.pod_cpu, c.pod_mem);
    Node node;
    node.Allocatable(4000, 8 * kGi).Requested(c.used_cpu, c.used_mem);
    int64_t s = -1;
    ASSERT_TRUE(p.Score(pod.get(), node.get(), &s).ok());
    EXPECT_EQ(s, c.want) << c.name;
  }
}

TEST(BalancedAllocationTest, ThreeResourcesUseTheStandardDeviation) {
  FakeHost host;
  TestPlugin<BalancedAllocation> p(
      host, R"({"resources":[{"name":"cpu"},{"name":"memory"},{"name":"example.com/x"}]})");
  ASSERT_TRUE(p.init().ok());
  Pod pod;
  pod.Requests(2000, 4 * kGi).Scalar("example.com/x", 4);
  Node node;
  node.Allocatable(4000, 8 * kGi).AllocatableScalar("example.com/x", 4);
  int64_t s = -1;
  ASSERT_TRUE(p.Score(pod.get(), node.get(), &s).ok());
  // Fractions 0.5, 0.5, 1.0: mean 2/3, std sqrt(((1/6)^2*2 + (1/3)^2)/3) = 0.2357 -> 76.
  EXPECT_EQ(s, 76);
}

TEST(BalancedAllocationTest, PreScoreSkipsBestEffortPods) {
  FakeHost host;
  TestPlugin<BalancedAllocation> p(host);
  SchedDriver d(p);
  Pod best_effort, burstable;
  best_effort.Requests(0, 0);
  burstable.Requests(100, 0);
  EXPECT_EQ(d.PreScore(host.NewCycle(), best_effort.get(), {}).rc, CAPSTAN_RC_SKIP);
  EXPECT_EQ(d.PreScore(host.NewCycle(), burstable.get(), {}).rc, CAPSTAN_RC_OK);
}

}  // namespace
}  // namespace capstan::sched
