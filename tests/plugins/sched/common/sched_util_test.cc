// Tests for plugins/sched/common/sched_util.{h,cc} and resources.{h,cc}.
#include "plugins/sched/common/sched_util.h"

#include <gtest/gtest.h>

#include <string_view>
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

TEST(ResourcesTest, ParsedSpecsReadTheSameFieldAsTheirName) {
  capstan_sched_scalar gpu{{"nvidia.com/gpu", 14}, 3};
  capstan_sched_resources r{};
  r.milli_cpu = 1500;
  r.memory = 2048;
  r.ephemeral_storage = 77;
  r.pods = 9;
  r.scalars = &gpu;
  r.scalar_count = 1;
  sdk::json::Json list = sdk::json::Json::array();
  for (const char* name : {"cpu", "memory", "ephemeral-storage", "pods", "nvidia.com/gpu", "x/y"}) {
    list.push_back({{"name", name}, {"weight", 2}});
  }
  std::vector<ResourceSpec> specs;
  ASSERT_TRUE(ParseResourceSpecs(&list, &specs).ok());
  ASSERT_EQ(specs.size(), 6u);
  for (const ResourceSpec& s : specs) {
    EXPECT_EQ(ResourceOf(r, s), ResourceOf(r, std::string_view(s.name))) << s.name;
    EXPECT_EQ(s.kind == ResourceKind::kScalar, IsScalarResource(s.name)) << s.name;
  }
  EXPECT_EQ(ResourceOf(r, specs[4]), 3);
  EXPECT_EQ(ResourceOf(r, specs[5]), 0);
}

}  // namespace
}  // namespace capstan::sched
