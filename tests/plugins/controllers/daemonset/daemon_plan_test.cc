// Tests for plugins/controllers/daemonset/daemon_plan.h: manage decisions (create, surplus,
// failed with backoff, succeeded, ineligible nodes, vanished nodes), RollingUpdate decisions with
// maxUnavailable and maxSurge as tables, update counts, and status.
#include "plugins/controllers/daemonset/daemon_plan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/plugins/controllers/objects.h"

namespace capstan::controllers {
namespace {

using testing::kNow;

Json DaemonSet(Json rolling = Json{{"maxUnavailable", 1}, {"maxSurge", 0}},
               std::string type = "RollingUpdate") {
  Json ds = {
      {"metadata", {{"name", "ds"}, {"namespace", "default"}, {"uid", "u"}, {"generation", 4}}},
      {"spec", {{"updateStrategy", {{"type", type}}}}},
      {"status", {{"observedGeneration", 3}}}};
  if (type == "RollingUpdate") ds["spec"]["updateStrategy"]["rollingUpdate"] = rolling;
  return ds;
}

// A daemon pod on `node` from revision `hash`; ready (long enough to be available) unless not.
Json DsPod(const std::string& name, const std::string& node, const std::string& hash,
           bool ready = true, const std::string& created = "2023-11-14T20:00:00Z") {
  Json pod =
      testing::Pod(name, {{"controller-revision-hash", hash}}, ready ? "2023-11-14T21:00:00Z" : "");
  pod["spec"]["nodeName"] = node;
  pod["metadata"]["creationTimestamp"] = created;
  return pod;
}

std::vector<NodeState> Nodes(int n) {
  std::vector<NodeState> out;
  for (int i = 1; i <= n; ++i) out.push_back({"n" + std::to_string(i), {true, true}});
  return out;
}

std::vector<std::string> Names(const std::vector<Json>& pods) {
  std::vector<std::string> out;
  for (const Json& p : pods) out.push_back(Name(p));
  return out;
}

struct RollCase {
  const char* name;
  Json rolling;
  NodePods pods;
  std::vector<std::string> deleted;
  std::vector<std::string> created_on;
};

TEST(DaemonPlanTest, RollingUpdateRespectsMaxUnavailableAndMaxSurge) {
  Json no_surge_1 = {{"maxUnavailable", 1}, {"maxSurge", 0}};
  Json no_surge_2 = {{"maxUnavailable", 2}, {"maxSurge", 0}};
  Json surge_1 = {{"maxUnavailable", 0}, {"maxSurge", 1}};
  NodePods all_old = {{"n1", {DsPod("a", "n1", "old")}},
                      {"n2", {DsPod("b", "n2", "old")}},
                      {"n3", {DsPod("c", "n3", "old")}}};
  const std::vector<RollCase> cases = {
      {"one old pod at a time", no_surge_1, all_old, {"a"}, {}},
      {"two old pods with maxUnavailable 2", no_surge_2, all_old, {"a", "b"}, {}},
      {"percentages round up", {{"maxUnavailable", "50%"}}, all_old, {"a", "b"}, {}},
      {"both zero falls back to one", {{"maxUnavailable", 0}, {"maxSurge", 0}}, all_old, {"a"}, {}},
      {"an unavailable new pod blocks",
       no_surge_1,
       {{"n1", {DsPod("a", "n1", "new", false)}},
        {"n2", {DsPod("b", "n2", "old")}},
        {"n3", {DsPod("c", "n3", "old")}}},
       {},
       {}},
      {"a node still without its pod blocks",
       no_surge_1,
       {{"n2", {DsPod("b", "n2", "old")}}, {"n3", {DsPod("c", "n3", "old")}}},
       {},
       {}},
      {"an unavailable old pod is replaced at once",
       no_surge_1,
       {{"n1", {DsPod("a", "n1", "old")}},
        {"n2", {DsPod("b", "n2", "old", false)}},
        {"n3", {DsPod("c", "n3", "old")}}},
       {"b"},
       {}},
      {"available new pods let the next go",
       no_surge_1,
       {{"n1", {DsPod("a", "n1", "new")}},
        {"n2", {DsPod("b", "n2", "new")}},
        {"n3", {DsPod("c", "n3", "old")}}},
       {"c"},
       {}},
      {"done",
       no_surge_1,
       {{"n1", {DsPod("a", "n1", "new")}},
        {"n2", {DsPod("b", "n2", "new")}},
        {"n3", {DsPod("c", "n3", "new")}}},
       {},
       {}},
      {"surge creates beside one old pod", surge_1, all_old, {}, {"n1"}},
      {"surge deletes the old pod once the new one is available",
       surge_1,
       {{"n1", {DsPod("a", "n1", "old"), DsPod("a2", "n1", "new")}},
        {"n2", {DsPod("b", "n2", "old")}},
        {"n3", {DsPod("c", "n3", "old")}}},
       {"a"},
       {"n2"}},
      {"surge waits for an unavailable new pod",
       surge_1,
       {{"n1", {DsPod("a", "n1", "old"), DsPod("a2", "n1", "new", false)}},
        {"n2", {DsPod("b", "n2", "old")}},
        {"n3", {DsPod("c", "n3", "old")}}},
       {},
       {}},
      {"surge replaces an unavailable old pod beyond maxSurge",
       surge_1,
       {{"n1", {DsPod("a", "n1", "old"), DsPod("a2", "n1", "new", false)}},
        {"n2", {DsPod("b", "n2", "old", false)}},
        {"n3", {DsPod("c", "n3", "old")}}},
       {},
       {"n2"}},
  };
  for (const RollCase& c : cases) {
    DaemonActions a = PlanRollingUpdate(DaemonSet(c.rolling), Nodes(3), c.pods, "new", kNow);
    EXPECT_EQ(Names(a.delete_pods), c.deleted) << c.name;
    EXPECT_EQ(a.create_on, c.created_on) << c.name;
  }
}

TEST(DaemonPlanTest, CountsAndUpdatedPods) {
  EXPECT_EQ(UnavailableCount(DaemonSet({{"maxUnavailable", "10%"}}), 25), 3);
  EXPECT_EQ(UnavailableCount(DaemonSet(Json::object()), 5), 1);  // defaulted
  EXPECT_EQ(UnavailableCount(DaemonSet({}, "OnDelete"), 5), 0);
  EXPECT_EQ(SurgeCount(DaemonSet({{"maxSurge", "20%"}}), 6), 2);
  EXPECT_TRUE(AllowsSurge(DaemonSet({{"maxSurge", "1%"}})));
  EXPECT_FALSE(AllowsSurge(DaemonSet({{"maxSurge", 0}})));
  Json pod = DsPod("p", "n1", "h1");
  EXPECT_TRUE(IsPodUpdated(pod, "h1", std::nullopt));
  EXPECT_FALSE(IsPodUpdated(pod, "h2", std::nullopt));
  pod["metadata"]["labels"]["pod-template-generation"] = "7";
  EXPECT_TRUE(IsPodUpdated(pod, "h2", 7));
  Json ds = DaemonSet();
  ds["metadata"]["annotations"] = {{"deprecated.daemonset.template.generation", "7"}};
  EXPECT_EQ(TemplateGeneration(ds), 7);
  EXPECT_EQ(TemplateGeneration(DaemonSet()), std::nullopt);
}

TEST(DaemonPlanTest, ManageCreatesDeletesSurplusAndLeavesIneligibleNodes) {
  std::vector<NodeState> nodes = {{"n1", {true, true}},    // no pod yet
                                  {"n2", {true, true}},    // two pods: the newer goes
                                  {"n3", {false, true}},   // NoSchedule taint: may stay
                                  {"n4", {false, false}},  // ineligible: pods go
                                  {"n5", {true, true}}};   // only a terminating pod
  Json terminating = DsPod("t", "n5", "h");
  terminating["metadata"]["deletionTimestamp"] = testing::kNowText;
  Json orphaned = DsPod("gone", "", "h");  // pinned to a node that no longer exists
  NodePods pods = {{"n2",
                    {DsPod("new", "n2", "h", true, "2023-11-14T21:00:00Z"),
                     DsPod("old", "n2", "h", true, "2023-11-14T20:00:00Z")}},
                   {"n3", {DsPod("stays", "n3", "h")}},
                   {"n4", {DsPod("leaves", "n4", "h")}},
                   {"n5", {terminating}},
                   {"n9", {orphaned}}};
  FailedPodBackoff backoff;
  DaemonActions a = PlanManage(DaemonSet(), nodes, pods, "h", kNow, backoff);
  EXPECT_EQ(a.create_on, (std::vector<std::string>{"n1"}));
  EXPECT_EQ(Names(a.delete_pods), (std::vector<std::string>{"new", "leaves", "gone"}));
}

TEST(DaemonPlanTest, FailedPodsAreReplacedWithBackoffAndSucceededOnesDeleted) {
  std::vector<NodeState> nodes = {{"n1", {true, true}}, {"n2", {true, true}}};
  Json failed = DsPod("failed", "n1", "h");
  failed["status"]["phase"] = "Failed";
  Json done = DsPod("done", "n2", "h");
  done["status"]["phase"] = "Succeeded";
  NodePods pods = {{"n1", {failed}}, {"n2", {done}}};
  FailedPodBackoff backoff;
  DaemonActions first = PlanManage(DaemonSet(), nodes, pods, "h", kNow, backoff);
  EXPECT_EQ(Names(first.delete_pods), (std::vector<std::string>{"failed", "done"}));
  EXPECT_EQ(Names(first.failed_pods), (std::vector<std::string>{"failed"}));
  // The replacement failed again at once: it waits out the backoff (1 s, then 2 s).
  DaemonActions second = PlanManage(DaemonSet(), nodes, pods, "h", kNow, backoff);
  EXPECT_EQ(Names(second.delete_pods), (std::vector<std::string>{"done"}));
  EXPECT_EQ(second.requeue_after_seconds, 1);
  DaemonActions third = PlanManage(DaemonSet(), nodes, pods, "h", kNow + 1, backoff);
  EXPECT_EQ(Names(third.failed_pods), (std::vector<std::string>{"failed"}));
  EXPECT_EQ(backoff.Remaining("u/3/n1", kNow + 1), 2);
}

TEST(DaemonPlanTest, ManageWithSurgeKeepsOneOldAndOneNewPodWhileUpdating) {
  Json ds = DaemonSet({{"maxUnavailable", 0}, {"maxSurge", 1}});
  std::vector<NodeState> nodes = {{"n1", {true, true}}};
  NodePods waiting = {{"n1", {DsPod("old", "n1", "h0"), DsPod("new", "n1", "h1", false)}}};
  FailedPodBackoff backoff;
  EXPECT_TRUE(PlanManage(ds, nodes, waiting, "h1", kNow, backoff).delete_pods.empty());
  NodePods ready = {{"n1", {DsPod("old", "n1", "h0"), DsPod("new", "n1", "h1")}}};
  EXPECT_EQ(Names(PlanManage(ds, nodes, ready, "h1", kNow, backoff).delete_pods),
            (std::vector<std::string>{"old"}));
}

TEST(DaemonPlanTest, StatusCountsScheduledReadyUpdatedAvailableAndMisscheduled) {
  std::vector<NodeState> nodes = {
      {"n1", {true, true}}, {"n2", {true, true}}, {"n3", {false, false}}, {"n4", {true, true}}};
  NodePods pods = {{"n1", {DsPod("a", "n1", "new")}},
                   {"n2", {DsPod("b", "n2", "old", false)}},
                   {"n3", {DsPod("c", "n3", "new")}}};
  Json status = DaemonSetStatus(DaemonSet(), nodes, pods, "new", kNow, true);
  EXPECT_EQ(status, (Json{{"desiredNumberScheduled", 3},
                          {"currentNumberScheduled", 2},
                          {"numberMisscheduled", 1},
                          {"numberReady", 1},
                          {"updatedNumberScheduled", 1},
                          {"numberAvailable", 1},
                          {"numberUnavailable", 2},
                          {"observedGeneration", 4}}));
  Json unobserved = DaemonSetStatus(DaemonSet(), nodes, pods, "new", kNow, false);
  EXPECT_EQ(unobserved["observedGeneration"], 3);
  // minReadySeconds: ready for an hour is not yet available after two.
  Json slow = DaemonSet();
  slow["spec"]["minReadySeconds"] = 7200;
  EXPECT_EQ(DaemonSetStatus(slow, nodes, pods, "new", kNow, true)["numberAvailable"], 0);
}

}  // namespace
}  // namespace capstan::controllers
