// Tests for plugins/controllers/deployment/deployment_util: hashing, template equality,
// fenceposts (table-driven, upstream's rounding), revision history and conditions.
#include "plugins/controllers/deployment/deployment_util.h"

#include <gtest/gtest.h>

#include <vector>

#include "plugins/controllers/kit/history.h"

namespace capstan::controllers {
namespace {

Json RollingDeployment(int64_t replicas, Json surge, Json unavailable) {
  return Json{{"spec",
               {{"replicas", replicas},
                {"strategy",
                 {{"type", "RollingUpdate"},
                  {"rollingUpdate", {{"maxSurge", surge}, {"maxUnavailable", unavailable}}}}}}}};
}

TEST(DeploymentUtilTest, HashIsStableSafeAndChangesWithTheCollisionCount) {
  Json t = {{"metadata", {{"labels", {{"app", "web"}}}, {"creationTimestamp", nullptr}}},
            {"spec", {{"containers", Json::array()}}}};
  std::string h = ComputeTemplateHash(t, std::nullopt);
  EXPECT_EQ(h, ComputeTemplateHash(t, std::nullopt));
  EXPECT_NE(h, ComputeTemplateHash(t, 1));
  EXPECT_EQ(h.find_first_not_of("bcdfghjklmnpqrstvwxz2456789"), std::string::npos);
  Json other = t;
  other["spec"]["containers"] = Json::array({{{"image", "x"}}});
  EXPECT_NE(h, ComputeTemplateHash(other, std::nullopt));
}

TEST(DeploymentUtilTest, TemplatesCompareEqualIgnoringTheHashLabelAndEmptyFields) {
  Json a = {{"metadata", {{"labels", {{"app", "web"}}}}}, {"spec", {{"x", 1}}}};
  Json b = a;
  b["metadata"]["labels"][kHashLabel] = "abc";
  b["metadata"]["creationTimestamp"] = nullptr;
  b["metadata"]["annotations"] = Json::object();
  EXPECT_TRUE(EqualIgnoreHash(a, b));
  b["spec"]["x"] = 2;
  EXPECT_FALSE(EqualIgnoreHash(a, b));
}

TEST(DeploymentUtilTest, FencepostsRoundSurgeUpAndUnavailableDown) {
  struct Case {
    int64_t replicas;
    Json surge, unavailable;
    int64_t want_surge, want_unavailable;
  };
  std::vector<Case> cases = {
      {3, "25%", "25%", 1, 0}, {4, "25%", "25%", 1, 1}, {10, "25%", "25%", 3, 2},
      {5, 0, 0, 0, 1},         {5, 2, "50%", 2, 2},     {1, "0%", "0%", 0, 1},
  };
  for (const Case& c : cases) {
    Json d = RollingDeployment(c.replicas, c.surge, c.unavailable);
    EXPECT_EQ(MaxSurge(d), c.want_surge) << d.dump();
    EXPECT_EQ(MaxUnavailable(d), c.want_unavailable) << d.dump();
  }
  Json recreate = {{"spec", {{"replicas", 3}, {"strategy", {{"type", "Recreate"}}}}}};
  EXPECT_EQ(MaxSurge(recreate), 0);
  EXPECT_EQ(MaxUnavailable(recreate), 0);
}

TEST(DeploymentUtilTest, NewRevisionsKeepTheOldOnesInTheHistory) {
  Json d = {{"metadata", {{"annotations", {{"team", "a"}, {kRevision, "9"}}}}},
            {"spec", {{"replicas", 2}}}};
  Json rs = {{"metadata", {{"annotations", {{kRevision, "2"}, {kRevisionHistory, "1"}}}}}};
  EXPECT_TRUE(SetNewReplicaSetAnnotations(d, rs, "5", true));
  EXPECT_EQ(rs["metadata"]["annotations"][kRevision], "5");
  EXPECT_EQ(rs["metadata"]["annotations"][kRevisionHistory], "1,2");
  EXPECT_EQ(rs["metadata"]["annotations"]["team"], "a");
  EXPECT_FALSE(SetNewReplicaSetAnnotations(d, rs, "5", true));
  Json fresh = {{"metadata", Json::object()}};
  EXPECT_TRUE(SetNewReplicaSetAnnotations(d, fresh, "1", false));
  EXPECT_EQ(fresh["metadata"]["annotations"][kDesiredReplicas], "2");
  EXPECT_FALSE(fresh["metadata"]["annotations"].contains(kRevisionHistory));
}

TEST(DeploymentUtilTest, ConditionsKeepTheirTransitionTimeWhileTheStatusHolds) {
  Json status = Json::object();
  SetCondition(status, NewCondition("Progressing", "True", "A", "m", 100));
  SetCondition(status, NewCondition("Progressing", "True", "B", "m", 200));
  const Json* c = GetCondition(status, "Progressing");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ((*c)["reason"], "B");
  EXPECT_EQ((*c)["lastTransitionTime"], FormatTime(100));
  EXPECT_EQ((*c)["lastUpdateTime"], FormatTime(200));
  SetCondition(status, NewCondition("Progressing", "False", "C", "m", 300));
  EXPECT_EQ((*GetCondition(status, "Progressing"))["lastTransitionTime"], FormatTime(300));
  RemoveCondition(status, "Progressing");
  EXPECT_FALSE(status.contains("conditions"));
}

}  // namespace
}  // namespace capstan::controllers
