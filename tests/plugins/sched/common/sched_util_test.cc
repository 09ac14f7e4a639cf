// Tests for plugins/sched/common/sched_util.{h,cc} and resources.{h,cc}.
#include "plugins/sched/common/sched_util.h"

#include <gtest/gtest.h>

#include <vector>

#include "plugins/sched/common/resources.h"

namespace capstan::sched {
namespace {

TEST(ToleratesTaintTest, FollowsUpstreamMatchingRules) {
  struct Case {
    const char* name;
    capstan_sched_toleration tol;
    bool want;
  };
  auto tol = [](const char* key, uint32_t op, const char* value, uint32_t effect) {
    capstan_sched_toleration t{};
    t.key = sdk::ToHostStr(key);
    t.value = sdk::ToHostStr(value);
    t.op = op;
    t.effect = effect;
    return t;
  };
  const Case cases[] = {
      {"equal key and value", tol("k", CAPSTAN_TOLERATION_EQUAL, "v", 0), true},
      {"other value", tol("k", CAPSTAN_TOLERATION_EQUAL, "w", 0), false},
      {"unset operator is Equal", tol("k", 0, "v", 0), true},
      {"exists any value", tol("k", CAPSTAN_TOLERATION_EXISTS, "", 0), true},
      {"empty key exists tolerates all", tol("", CAPSTAN_TOLERATION_EXISTS, "", 0), true},
      {"other key", tol("j", CAPSTAN_TOLERATION_EXISTS, "", 0), false},
      {"same effect", tol("k", CAPSTAN_TOLERATION_EXISTS, "", CAPSTAN_TAINT_NO_SCHEDULE), true},
      {"other effect", tol("k", CAPSTAN_TOLERATION_EXISTS, "", CAPSTAN_TAINT_NO_EXECUTE), false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ToleratesTaint(c.tol, "k", "v", CAPSTAN_TAINT_NO_SCHEDULE), c.want) << c.name;
  }
}

TEST(DefaultNormalizeScoreTest, ScalesToTheMaximumAndReverses) {
  struct Case {
    std::vector<int64_t> in;
    bool reverse;
    std::vector<int64_t> want;
  };
  const Case cases[] = {
      {{0, 0}, false, {0, 0}},
      {{0, 0}, true, {100, 100}},
      {{1, 2, 4}, false, {25, 50, 100}},
      {{1, 2, 4}, true, {75, 50, 0}},
  };
  for (const Case& c : cases) {
    std::vector<capstan_sched_node_score> raw;
    for (int64_t s : c.in) raw.push_back({{nullptr, 0}, s});
    sdk::NodeScores scores(raw.data(), raw.size());
    DefaultNormalizeScore(100, c.reverse, scores);
    for (size_t i = 0; i < raw.size(); ++i) EXPECT_EQ(raw[i].score, c.want[i]);
  }
}

TEST(ResourcesTest, ScoringFunctionsMatchUpstream) {
  EXPECT_EQ(LeastRequestedScore(2500, 10000), 75);
  EXPECT_EQ(LeastRequestedScore(12000, 10000), 0);
  EXPECT_EQ(LeastRequestedScore(1, 0), 0);
  EXPECT_EQ(MostRequestedScore(2500, 10000), 25);
  EXPECT_EQ(MostRequestedScore(12000, 10000), 100);
  std::vector<ShapePoint> shape = {{0, 0}, {50, 100}, {100, 0}};
  EXPECT_EQ(BrokenLinear(shape, 25), 50);
  EXPECT_EQ(BrokenLinear(shape, 50), 100);
  EXPECT_EQ(BrokenLinear(shape, 75), 50);
  std::vector<ResourceSpec> specs;
  ASSERT_TRUE(ParseResourceSpecs(nullptr, &specs).ok());
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].name, "cpu");
}

}  // namespace
}  // namespace capstan::sched
