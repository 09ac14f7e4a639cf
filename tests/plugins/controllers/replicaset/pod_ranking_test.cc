// Tests for plugins/controllers/replicaset/pod_ranking: the scale-down preference order, one
// criterion per case, each case a pair where the first pod must go first.
#include "plugins/controllers/replicaset/pod_ranking.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "tests/plugins/controllers/objects.h"

namespace capstan::controllers {
namespace {

using testing::kNow;
using testing::Pod;

struct RankCase {
  const char* name;
  std::function<void(Json&)> first;  // edits making the first pod the preferred victim
  std::function<void(Json&)> second;
  int64_t rank_first = 1;
  int64_t rank_second = 1;
};

TEST(PodRankingTest, EachCriterionPutsTheExpectedPodFirst) {
  auto set_ready = [](const char* since) {
    return [since](Json& p) {
      p["status"]["conditions"] =
          Json::array({{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", since}}});
    };
  };
  auto nothing = [](Json&) {};
  std::vector<RankCase> cases = {
      {"unscheduled before scheduled", [](Json& p) { p["spec"].erase("nodeName"); }, nothing},
      {"pending before running", [](Json& p) { p["status"]["phase"] = "Pending"; }, nothing},
      {"unknown before running", [](Json& p) { p["status"]["phase"] = "Unknown"; }, nothing},
      {"not ready before ready", nothing, set_ready("2023-11-14T20:00:00Z")},
      {"lower deletion cost first",
       [](Json& p) {
         p["metadata"]["annotations"]["controller.kubernetes.io/pod-deletion-cost"] = "-5";
       },
       nothing},
      {"doubled-up node first", nothing, nothing, 3, 1},
      {"recently ready first (other log2 bucket)", set_ready("2023-11-14T22:13:00Z"),
       set_ready("2023-11-14T10:00:00Z")},
      {"more restarts first",
       [](Json& p) {
         p["status"]["containerStatuses"] = Json::array({{{"restartCount", 4}}});
       },
       nothing},
      {"newer first", [](Json& p) { p["metadata"]["creationTimestamp"] = "2023-11-14T22:13:10Z"; },
       nothing},
  };
  for (const RankCase& c : cases) {
    Json a = Pod("a", Json::object());
    Json b = Pod("b", Json::object());
    c.first(a);
    c.second(b);
    EXPECT_TRUE(DeleteBefore(a, c.rank_first, b, c.rank_second, kNow)) << c.name;
    EXPECT_FALSE(DeleteBefore(b, c.rank_second, a, c.rank_first, kNow)) << c.name;
  }
}

TEST(PodRankingTest, PodsToDeleteReturnsTheFirstInPreferenceOrder) {
  Json running = Pod("running", Json::object(), "2023-11-14T20:00:00Z");
  Json pending = Pod("pending", Json::object());
  pending["status"]["phase"] = "Pending";
  Json not_ready = Pod("not-ready", Json::object());
  std::vector<const Json*> victims = PodsToDelete({&running, &not_ready, &pending}, 2, kNow);
  ASSERT_EQ(victims.size(), 2u);
  EXPECT_EQ((*victims[0])["metadata"]["name"], "pending");
  EXPECT_EQ((*victims[1])["metadata"]["name"], "not-ready");
  EXPECT_EQ(PodsToDelete({&running}, 5, kNow).size(), 1u);
}

}  // namespace
}  // namespace capstan::controllers
