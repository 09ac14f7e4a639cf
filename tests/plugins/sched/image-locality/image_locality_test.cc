// Tests for plugins/sched/image-locality: image name normalization, the size/spread score, and
// the node count kept in cycle state by PreScore.
#include "plugins/sched/image-locality/image_locality.h"

#include <gtest/gtest.h>

#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::Node;
using testing::Pod;
using testing::SchedDriver;

TEST(ImageLocalityTest, PodImagesWithoutTagMeanLatest) {
  struct Case {
    const char* pod;
    const char* node;
    bool want;
  };
  const Case cases[] = {
      {"nginx", "nginx:latest", true},
      {"nginx:1.25", "nginx:1.25", true},
      {"nginx:1.25", "nginx:latest", false},
      {"registry:5000/app", "registry:5000/app:latest", true},
      {"nginx", "nginx", true},
      {"nginx@sha256:abc", "nginx@sha256:abc", true},
      {"nginx", "docker.io/library/nginx:latest", false},
  };
  for (const Case& c : cases) EXPECT_EQ(SameImage(c.pod, c.node), c.want) << c.pod << " " << c.node;
}

TEST(ImageLocalityTest, ScoreScalesSummedSizesBetweenThresholds) {
  struct Case {
    int64_t sum;
    int64_t containers;
    int64_t want;
  };
  const Case cases[] = {
      {0, 1, 0},           {23 * kMiB, 1, 0},    {1000 * kMiB, 1, 100}, {5000 * kMiB, 1, 100},
      {250 * kMiB, 1, 23}, {1000 * kMiB, 2, 49},
  };
  for (const Case& c : cases) EXPECT_EQ(ImageScore(c.sum, c.containers), c.want) << c.sum;
}

TEST(ImageLocalityTest, NodesHoldingWidelySpreadImagesScoreHigher) {
  FakeHost host;
  TestPlugin<ImageLocality> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Image("app:v1");
  Node holder("holder"), other("other"), far("far");
  holder.Index(0).Image("app:v1", 500 * kMiB, 5);
  other.Index(1).Image("db:v1", 900 * kMiB, 10);
  far.Index(9);
  capstan_sched_cycle* cycle = host.NewCycle();
  // The snapshot has at least 10 nodes (index 9 is feasible): the image is on half of them.
  ASSERT_TRUE(d.PreScore(cycle, pod.get(), {holder.get(), other.get(), far.get()}).ok());
  EXPECT_EQ(host.CycleValue(cycle, "image-locality"), "10");
  int64_t s = -1;
  ASSERT_TRUE(d.Score(cycle, pod.get(), holder.get(), &s).ok());
  EXPECT_EQ(s, 23);  // 250 MiB effective
  ASSERT_TRUE(d.Score(cycle, pod.get(), other.get(), &s).ok());
  EXPECT_EQ(s, 0);
}

}  // namespace
}  // namespace capstan::sched
