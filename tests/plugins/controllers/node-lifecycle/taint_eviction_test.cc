// Table-driven tests of plugins/controllers/node-lifecycle/taint_eviction: upstream's
// toleration matching and the eviction time of a pod on a node with NoExecute taints.
#include "plugins/controllers/node-lifecycle/taint_eviction.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace capstan::controllers {
namespace {

constexpr int64_t kT0 = 1'700'000'000;

Json Taint(const std::string& key, const std::string& effect, const std::string& value = "") {
  Json t = {{"key", key}, {"effect", effect}};
  if (!value.empty()) t["value"] = value;
  return t;
}

TEST(ToleratesTaintTest, MatchesAsUpstream) {
  const Json taint = Taint("k", "NoExecute", "v");
  struct Case {
    const char* name;
    Json toleration;
    bool want;
  };
  const std::vector<Case> cases = {
      {"equal key value effect", {{"key", "k"}, {"value", "v"}, {"effect", "NoExecute"}}, true},
      {"operator defaults to Equal", {{"key", "k"}, {"value", "w"}}, false},
      {"exists any value", {{"key", "k"}, {"operator", "Exists"}}, true},
      {"other key", {{"key", "x"}, {"operator", "Exists"}}, false},
      {"other effect", {{"key", "k"}, {"operator", "Exists"}, {"effect", "NoSchedule"}}, false},
      {"empty key with Exists tolerates all", {{"operator", "Exists"}}, true},
      {"unknown operator", {{"key", "k"}, {"operator", "Gt"}, {"value", "v"}}, false},
  };
  for (const Case& c : cases) EXPECT_EQ(ToleratesTaint(c.toleration, taint), c.want) << c.name;
}

TEST(EvictionTimeTest, UntoleratedTaintsEvictNowAndTolerationSecondsCountFromTimeAdded) {
  Json unreachable = Taint("node.kubernetes.io/unreachable", "NoExecute");
  unreachable["timeAdded"] = FormatTime(kT0);
  const Json no_schedule = Taint("node.kubernetes.io/unreachable", "NoSchedule");
  const Json other_exec = Taint("maintenance", "NoExecute");  // no timeAdded: counts from now
  auto tol = [](const std::string& key, std::optional<int64_t> seconds) {
    Json t = {{"key", key}, {"operator", "Exists"}, {"effect", "NoExecute"}};
    if (seconds) t["tolerationSeconds"] = *seconds;
    return t;
  };
  const int64_t now = kT0 + 10;
  struct Case {
    const char* name;
    Json taints;
    Json tolerations;
    int64_t want;
  };
  const std::vector<Case> cases = {
      {"no taints", Json::array(), Json::array(), kNever},
      {"NoSchedule only", Json::array({no_schedule}), Json::array(), kNever},
      {"untolerated NoExecute", Json::array({no_schedule, unreachable}), Json::array(), now},
      {"tolerated forever", Json::array({unreachable}),
       Json::array({tol("node.kubernetes.io/unreachable", std::nullopt)}), kNever},
      {"tolerated for 300 s", Json::array({unreachable}),
       Json::array({tol("node.kubernetes.io/unreachable", 300)}), kT0 + 300},
      {"already past", Json::array({unreachable}),
       Json::array({tol("node.kubernetes.io/unreachable", 5)}), kT0 + 5},
      {"negative seconds are zero", Json::array({unreachable}),
       Json::array({tol("node.kubernetes.io/unreachable", -3)}), kT0},
      {"one of two taints untolerated", Json::array({unreachable, other_exec}),
       Json::array({tol("node.kubernetes.io/unreachable", 300)}), now},
      {"earliest of two taints", Json::array({unreachable, other_exec}),
       Json::array({tol("node.kubernetes.io/unreachable", 300), tol("maintenance", 60)}), now + 60},
      {"first matching toleration decides", Json::array({unreachable}),
       Json::array({tol("", std::nullopt), tol("node.kubernetes.io/unreachable", 1)}), kNever},
  };
  for (const Case& c : cases) {
    Json pod = {{"spec", {{"tolerations", c.tolerations}}}};
    EXPECT_EQ(EvictionTime(pod, c.taints, now), c.want) << c.name;
  }
}

}  // namespace
}  // namespace capstan::controllers
