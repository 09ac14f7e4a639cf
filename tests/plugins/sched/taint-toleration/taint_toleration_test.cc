// Tests for plugins/sched/taint-toleration: Filter on NoSchedule/NoExecute taints, Score by
// untolerated PreferNoSchedule taints, reversed normalization.
#include "plugins/sched/taint-toleration/taint_toleration.h"

#include <gtest/gtest.h>

#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::Node;
using testing::Pod;
using testing::SchedDriver;

TEST(TaintTolerationTest, FilterRejectsTheFirstUntoleratedHardTaint) {
  struct Case {
    const char* name;
    uint32_t effect;
    bool tolerate;
    capstan_rc want;
    const char* reason;
  };
  const Case cases[] = {
      {"NoSchedule", CAPSTAN_TAINT_NO_SCHEDULE, false, CAPSTAN_RC_UNRESOLVABLE,
       "node(s) had untolerated taint {dedicated: gpu}"},
      {"NoExecute", CAPSTAN_TAINT_NO_EXECUTE, false, CAPSTAN_RC_UNRESOLVABLE,
       "node(s) had untolerated taint {dedicated: gpu}"},
      {"PreferNoSchedule never filters", CAPSTAN_TAINT_PREFER_NO_SCHEDULE, false, CAPSTAN_RC_OK,
       ""},
      {"tolerated NoSchedule", CAPSTAN_TAINT_NO_SCHEDULE, true, CAPSTAN_RC_OK, ""},
  };
  FakeHost host;
  TestPlugin<TaintToleration> p(host);
  for (const Case& c : cases) {
    Pod pod;
    if (c.tolerate) pod.Toleration("dedicated", CAPSTAN_TOLERATION_EQUAL, "gpu", c.effect);
    Node node;
    node.Taint("dedicated", "gpu", c.effect);
    sdk::testing::Outcome o = p.Filter(pod.get(), node.get());
    EXPECT_EQ(o.rc, c.want) << c.name;
    EXPECT_EQ(o.error, c.reason) << c.name;
  }
}

TEST(TaintTolerationTest, ScoreCountsUntoleratedPreferNoScheduleTaintsAndNormalizeReverses) {
  FakeHost host;
  TestPlugin<TaintToleration> p(host);
  SchedDriver d(p);
  Pod pod;
  // Tolerates "a" for PreferNoSchedule; a NoSchedule-only toleration of "b" does not count.
  pod.Toleration("a", CAPSTAN_TOLERATION_EXISTS, "", CAPSTAN_TAINT_PREFER_NO_SCHEDULE)
      .Toleration("b", CAPSTAN_TOLERATION_EXISTS, "", CAPSTAN_TAINT_NO_SCHEDULE);
  Node clean("clean"), one("one"), two("two");
  one.Taint("a", "", CAPSTAN_TAINT_PREFER_NO_SCHEDULE)
      .Taint("b", "", CAPSTAN_TAINT_PREFER_NO_SCHEDULE);
  two.Taint("b", "", CAPSTAN_TAINT_PREFER_NO_SCHEDULE)
      .Taint("c", "", CAPSTAN_TAINT_PREFER_NO_SCHEDULE)
      .Taint("d", "", CAPSTAN_TAINT_NO_SCHEDULE);
  std::vector<std::pair<std::string, int64_t>> scores;
  for (Node* n : {&clean, &one, &two}) {
    int64_t s = -1;
    ASSERT_TRUE(p.Score(pod.get(), n->get(), &s).ok());
    scores.emplace_back(n->name(), s);
  }
  EXPECT_EQ(scores[0].second, 0);
  EXPECT_EQ(scores[1].second, 1);
  EXPECT_EQ(scores[2].second, 2);
  ASSERT_TRUE(d.NormalizeScore(host.NewCycle(), pod.get(), &scores).ok());
  EXPECT_EQ(scores[0].second, 100);
  EXPECT_EQ(scores[1].second, 50);
  EXPECT_EQ(scores[2].second, 0);
}

}  // namespace
}  // namespace capstan::sched
