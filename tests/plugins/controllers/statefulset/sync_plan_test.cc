// Table-driven tests of the StatefulSet sync decisions (plugins/controllers/statefulset/
// sync_plan.h): ordered and parallel creation, scale down, failed pods, RollingUpdate with a
// partition, OnDelete, start ordinals, and the status counts with completeRollingUpdate.
#include "plugins/controllers/statefulset/sync_plan.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "plugins/controllers/statefulset/stateful_pod.h"
#include "tests/plugins/controllers/statefulset/sts_objects.h"

namespace capstan::controllers {
namespace {

using testing::kNow;
using testing::PodState;
using testing::SetPod;
using testing::StatefulSet;

struct PodSpec {
  int64_t ordinal;
  std::string revision;
  PodState state;
};

struct Case {
  std::string name;
  int64_t replicas;
  std::string policy;    // OrderedReady | Parallel
  std::string strategy;  // RollingUpdate | OnDelete
  int64_t partition;
  std::vector<PodSpec> pods;
  std::vector<std::string> want;  // "create web-1 @r2", "delete web-2 ScaleDown"
  bool waiting;
};

// The template of revision r1 runs nginx:1, r2 nginx:2; the set's update revision is r2.
SetState StateFor(const Case& c, int64_t start_ordinal = 0) {
  Json set = StatefulSet(c.replicas, c.policy);
  if (c.strategy == "OnDelete") {
    set["spec"]["updateStrategy"] = {{"type", "OnDelete"}};
  } else {
    set["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = c.partition;
  }
  if (start_ordinal != 0) set["spec"]["ordinals"] = {{"start", start_ordinal}};
  SetState s;
  s.set = set;
  s.current_set = set;
  s.current_set["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1";
  s.update_set = set;
  s.update_set["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2";
  s.current_revision = "r1";
  s.update_revision = "r2";
  s.now = kNow;
  for (const PodSpec& p : c.pods) {
    s.pods.push_back(SetPod(p.ordinal, p.revision, p.state));
    std::string claim = "www-web-" + std::to_string(p.ordinal);
    s.claims[claim] = {{"metadata", {{"name", claim}, {"namespace", "default"}}}};
  }
  return s;
}

std::vector<std::string> Describe(const SyncPlan& plan) {
  std::vector<std::string> out;
  for (const PodAction& a : plan.actions) {
    switch (a.kind) {
      case PodActionKind::kCreate:
        out.push_back("create " + Name(a.pod) + " @" + PodRevision(a.pod));
        break;
      case PodActionKind::kDelete:
        out.push_back("delete " + Name(a.pod) + " " + a.reason);
        break;
      case PodActionKind::kUpdate:
        out.push_back("update " + Name(a.pod));
        break;
      case PodActionKind::kCreateClaims:
        out.push_back("claims " + Name(a.pod));
        break;
      case PodActionKind::kFixClaimRefs:
        out.push_back("claim-refs " + Name(a.pod));
        break;
    }
  }
  return out;
}

constexpr PodState kReady = PodState::kReady;
constexpr PodState kNotReady = PodState::kNotReady;
constexpr PodState kFailed = PodState::kFailed;
constexpr PodState kTerminating = PodState::kTerminating;

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"ordered creates only the lowest missing ordinal",
       3,
       "OrderedReady",
       "RollingUpdate",
       0,
       {},
       {"create web-0 @r2"},
       true},
      {"ordered waits for a pod that is not ready",
       3,
       "OrderedReady",
       "RollingUpdate",
       0,
       {{0, "r2", kNotReady}},
       {},
       true},
      {"ordered creates the next once its predecessors are ready",
       3,
       "OrderedReady",
       "RollingUpdate",
       0,
       {{0, "r2", kReady}},
       {"create web-1 @r2"},
       true},
      {"parallel creates every missing pod at once",
       3,
       "Parallel",
       "RollingUpdate",
       0,
       {},
       {"create web-0 @r2", "create web-1 @r2", "create web-2 @r2"},
       true},
      {"parallel creates around a pod that is not ready",
       3,
       "Parallel",
       "RollingUpdate",
       0,
       {{1, "r2", kNotReady}},
       {"create web-0 @r2", "create web-2 @r2"},
       true},
      {"ordered scale down deletes the highest ordinal first",
       1,
       "OrderedReady",
       "RollingUpdate",
       0,
       {{0, "r2", kReady}, {1, "r2", kReady}, {2, "r2", kReady}},
       {"delete web-2 ScaleDown"},
       true},
      {"ordered scale down waits for the terminating pod",
       1,
       "OrderedReady",
       "RollingUpdate",
       0,
       {{0, "r2", kReady}, {1, "r2", kReady}, {2, "r2", kTerminating}},
       {},
       true},
      {"ordered scale down waits while a remaining replica is unhealthy",
       1,
       "OrderedReady",
       "RollingUpdate",
       0,
       {{0, "r2", kNotReady}, {1, "r2", kReady}},
       {},
       true},
      {"ordered scale down takes the first unhealthy condemned pod",
       1,
       "OrderedReady",
       "RollingUpdate",
       0,
       {{0, "r2", kReady}, {1, "r2", kReady}, {2, "r2", kNotReady}},
       {"delete web-2 ScaleDown"},
       true},
      {"parallel scale down deletes every condemned pod",
       1,
       "Parallel",
       "RollingUpdate",
       0,
       {{0, "r2", kReady}, {1, "r2", kReady}, {2, "r2", kReady}},
       {"delete web-2 ScaleDown", "delete web-1 ScaleDown"},
       false},
      {"a failed pod is deleted and recreated",
       2,
       "OrderedReady",
       "RollingUpdate",
       0,
       {{0, "r2", kFailed}},
       {"delete web-0 RecreatingFailedPod", "create web-0 @r2"},
       true},
      {"rolling update replaces the highest ordinal first",
       3,
       "OrderedReady",
       "RollingUpdate",
       0,
       {{0, "r1", kReady}, {1, "r1", kReady}, {2, "r1", kReady}},
       {"delete web-2 Update"},
       true},
      {"rolling update waits for the replaced pod to be ready",
       3,
       "OrderedReady",
       "RollingUpdate",
       0,
       {{0, "r1", kReady}, {1, "r1", kReady}, {2, "r2", kNotReady}},
       {},
       true},
      {"rolling update continues downwards once the new pod is ready",
       3,
       "OrderedReady",
       "RollingUpdate",
       0,
       {{0, "r1", kReady}, {1, "r1", kReady}, {2, "r2", kReady}},
       {"delete web-1 Update"},
       true},
      {"rolling update stops at the partition",
       3,
       "OrderedReady",
       "RollingUpdate",
       2,
       {{0, "r1", kReady}, {1, "r1", kReady}, {2, "r2", kReady}},
       {},
       false},
      {"a missing pod below the partition comes back at the current revision",
       3,
       "OrderedReady",
       "RollingUpdate",
       2,
       {{1, "r1", kReady}, {2, "r2", kReady}},
       {"create web-0 @r1"},
       true},
      {"on delete leaves pods at the old revision alone",
       2,
       "OrderedReady",
       "OnDelete",
       0,
       {{0, "r1", kReady}, {1, "r1", kReady}},
       {},
       false},
      {"on delete recreates a deleted pod at the update revision",
       2,
       "OrderedReady",
       "OnDelete",
       0,
       {{0, "r1", kReady}},
       {"create web-1 @r2"},
       true},
  };
  return cases;
}

class SyncPlanTest : public ::testing::TestWithParam<Case> {};

TEST_P(SyncPlanTest, DecidesTheActions) {
  const Case& c = GetParam();
  SyncPlan plan = PlanSync(StateFor(c));
  EXPECT_EQ(Describe(plan), c.want);
  EXPECT_EQ(plan.waiting, c.waiting);
}

INSTANTIATE_TEST_SUITE_P(Matrix, SyncPlanTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           std::string n;
                           for (char ch : param_info.param.name)
                             n += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           return n;
                         });

TEST(SyncPlan, StartOrdinalShiftsTheNames) {
  Case c{"", 2, "Parallel", "RollingUpdate", 0, {}, {}, false};
  SyncPlan plan = PlanSync(StateFor(c, 5));
  EXPECT_EQ(Describe(plan), (std::vector<std::string>{"create web-5 @r2", "create web-6 @r2"}));
}

TEST(SyncPlan, StatusCountsPodsAndKeepsTheCurrentRevisionDuringAnUpdate) {
  Case c{"",
         3,
         "OrderedReady",
         "RollingUpdate",
         0,
         {{0, "r1", kReady}, {1, "r1", kReady}, {2, "r2", kNotReady}},
         {},
         true};
  SyncPlan plan = PlanSync(StateFor(c));
  EXPECT_EQ(plan.status["replicas"], 3);
  EXPECT_EQ(plan.status["readyReplicas"], 2);
  EXPECT_EQ(plan.status["availableReplicas"], 2);
  EXPECT_EQ(plan.status["currentReplicas"], 2);
  EXPECT_EQ(plan.status["updatedReplicas"], 1);
  EXPECT_EQ(plan.status["currentRevision"], "r1");
  EXPECT_EQ(plan.status["updateRevision"], "r2");
  EXPECT_EQ(plan.status["observedGeneration"], 3);
}

TEST(SyncPlan, ACompletedRollingUpdateMakesTheUpdateRevisionCurrent) {
  Case c{"", 2,    "OrderedReady", "RollingUpdate", 0, {{0, "r2", kReady}, {1, "r2", kReady}},
         {}, false};
  SyncPlan plan = PlanSync(StateFor(c));
  EXPECT_EQ(plan.status["currentRevision"], "r2");
  EXPECT_EQ(plan.status["currentReplicas"], 2);
  EXPECT_EQ(plan.status["updatedReplicas"], 2);
}

TEST(SyncPlan, ADeletedSetOnlyReportsStatus) {
  Case c{"", 2, "OrderedReady", "RollingUpdate", 0, {{0, "r2", kReady}}, {}, false};
  SetState s = StateFor(c);
  s.set["metadata"]["deletionTimestamp"] = "2023-11-14T22:00:00Z";
  SyncPlan plan = PlanSync(s);
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.status["replicas"], 1);
}

TEST(SyncPlan, APendingPodWithoutItsClaimGetsItCreated) {
  Case c{"", 1, "OrderedReady", "RollingUpdate", 0, {{0, "r2", PodState::kPending}}, {}, true};
  SetState s = StateFor(c);
  s.claims.clear();
  EXPECT_EQ(Describe(PlanSync(s)), (std::vector<std::string>{"claims web-0"}));
}

TEST(SyncPlan, AStaleClaimBlocksCreationUnderWhenScaledDelete) {
  Case c{"", 1, "OrderedReady", "RollingUpdate", 0, {}, {}, true};
  SetState s = StateFor(c);
  s.set["spec"]["persistentVolumeClaimRetentionPolicy"] = {{"whenDeleted", "Retain"},
                                                           {"whenScaled", "Delete"}};
  s.claims["www-web-0"] = {
      {"metadata",
       {{"name", "www-web-0"},
        {"ownerReferences", Json::array({testing::OwnerRef("Pod", "web-0", "old", "v1")})}}}};
  EXPECT_TRUE(PlanSync(s).actions.empty());
}

TEST(SyncPlan, APodWithoutItsIdentityLabelsIsUpdated) {
  Case c{"", 1, "OrderedReady", "RollingUpdate", 0, {{0, "r2", kReady}}, {}, false};
  SetState s = StateFor(c);
  s.pods[0]["metadata"]["labels"].erase("apps.kubernetes.io/pod-index");
  SyncPlan plan = PlanSync(s);
  ASSERT_EQ(Describe(plan), (std::vector<std::string>{"update web-0"}));
  EXPECT_EQ(plan.actions[0].pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"], "0");
}

}  // namespace
}  // namespace capstan::controllers
