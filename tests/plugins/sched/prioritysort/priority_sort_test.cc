// Tests for plugins/sched/prioritysort: QueueSort by priority, then creation time.
#include "plugins/sched/prioritysort/priority_sort.h"

#include <gtest/gtest.h>

#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::Pod;
using testing::SchedDriver;

TEST(PrioritySortTest, HigherPriorityThenOlderPodGoesFirst) {
  struct Case {
    int32_t pa;
    int64_t ca;
    int32_t pb;
    int64_t cb;
    bool want;
  };
  const Case cases[] = {
      {10, 5, 1, 1, true},                        // higher priority wins although younger
      {1, 1, 10, 5, false},                       // lower priority loses although older
      {5, 1, 5, 2, true},                         // same priority: older first
      {5, 2, 5, 1, false},  {5, 1, 5, 1, false},  // equal: not less
      {-1, 1, 0, 9, false},
  };
  FakeHost host;
  TestPlugin<PrioritySort> p(host);
  ASSERT_TRUE(p.init().ok());
  SchedDriver d(p);
  ASSERT_NE(d.vtable()->on_queue_less, nullptr);
  EXPECT_EQ(d.vtable()->on_filter, nullptr);
  for (const Case& c : cases) {
    Pod a, b;
    a.Priority(c.pa).Created(c.ca);
    b.Priority(c.pb).Created(c.cb);
    EXPECT_EQ(d.QueueLess(a.get(), b.get()), c.want) << c.pa << "/" << c.ca << " vs " << c.pb;
  }
}

}  // namespace
}  // namespace capstan::sched
