// Table-driven tests of plugins/controllers/node-lifecycle/node_health: which heartbeat counts
// (Lease renewTime, Ready lastHeartbeatTime, creation for never-seen nodes), when a node turns
// stale, how its conditions are marked Unknown, and which lifecycle taints each Ready status
// implies.
#include "plugins/controllers/node-lifecycle/node_health.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace capstan::controllers {
namespace {

constexpr int64_t kT0 = 1'700'000'000;  // an arbitrary "now" origin

Json Ready(const std::string& status, int64_t heartbeat) {
  return {{"type", "Ready"},
          {"status", status},
          {"reason", "KubeletReady"},
          {"lastHeartbeatTime", FormatTime(heartbeat)},
          {"lastTransitionTime", FormatTime(kT0 - 1000)}};
}

Json Node(Json conditions, Json taints = Json::array()) {
  return {{"metadata", {{"name", "n1"}, {"creationTimestamp", FormatTime(kT0)}}},
          {"spec", {{"taints", std::move(taints)}}},
          {"status", {{"conditions", std::move(conditions)}}}};
}

Json Lease(int64_t renew) {
  return {{"metadata", {{"name", "n1"}, {"namespace", "kube-node-lease"}}},
          {"spec", {{"renewTime", FormatTime(renew)}}}};
}

TEST(AssessNodeTest, TheLaterHeartbeatCountsAndTheGracePeriodDecidesStaleness) {
  struct Case {
    const char* name;
    std::optional<int64_t> lease;
    std::optional<int64_t> ready_beat;
    int64_t now;
    int64_t want_heartbeat;
    bool want_startup;
    bool want_stale;
  };
  const std::vector<Case> cases = {
      {"lease newer than status", kT0 + 100, kT0 + 50, kT0 + 139, kT0 + 100, false, false},
      {"lease stale by one second", kT0 + 100, kT0 + 50, kT0 + 140, kT0 + 100, false, true},
      {"status newer than lease", kT0 + 10, kT0 + 90, kT0 + 120, kT0 + 90, false, false},
      {"status only", std::nullopt, kT0 + 10, kT0 + 60, kT0 + 10, false, true},
      {"lease only", kT0 + 10, std::nullopt, kT0 + 30, kT0 + 10, false, false},
      {"never heard of: startup grace", std::nullopt, std::nullopt, kT0 + 59, kT0, true, false},
      {"never heard of after startup", std::nullopt, std::nullopt, kT0 + 60, kT0, true, true},
  };
  GracePeriods grace;  // 40 s / 60 s
  for (const Case& c : cases) {
    Json node = Node(c.ready_beat ? Json::array({Ready("True", *c.ready_beat)}) : Json::array());
    std::optional<Json> lease;
    if (c.lease) lease = Lease(*c.lease);
    NodeHealth h = AssessNode(node, lease ? &*lease : nullptr, c.now, grace);
    EXPECT_EQ(h.last_heartbeat, c.want_heartbeat) << c.name;
    EXPECT_EQ(h.startup, c.want_startup) << c.name;
    EXPECT_EQ(h.stale, c.want_stale) << c.name;
  }
}

TEST(UnknownConditionsTest, MarksTheFourMonitoredConditionsUnknownKeepingTheHeartbeat) {
  Json node = Node(Json::array({Ready("True", kT0 + 5),
                                {{"type", "MemoryPressure"}, {"status", "False"}},
                                {{"type", "NetworkUnavailable"}, {"status", "False"}}}));
  std::optional<Json> got = UnknownConditions(node, kT0 + 100);
  ASSERT_TRUE(got.has_value());
  std::set<std::string> unknown;
  for (const Json& c : *got) {
    if (c["status"] != "Unknown") continue;
    unknown.insert(c["type"].get<std::string>());
    EXPECT_EQ(c["reason"], "NodeStatusUnknown");
    EXPECT_EQ(c["message"], "Kubelet stopped posting node status.");
    EXPECT_EQ(c["lastTransitionTime"], FormatTime(kT0 + 100));
  }
  EXPECT_EQ(unknown,
            (std::set<std::string>{"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"}));
  EXPECT_EQ((*got)[0]["lastHeartbeatTime"], FormatTime(kT0 + 5));
  EXPECT_EQ((*got)[2]["status"], "False");  // NetworkUnavailable is not the kubelet's to report
  EXPECT_FALSE(UnknownConditions(Node(*got), kT0 + 200).has_value()) << "already Unknown";
}

TEST(UnknownConditionsTest, ANodeThatNeverPostedStatusSaysSo) {
  std::optional<Json> got = UnknownConditions(Node(Json::array()), kT0 + 60);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 4u);
  EXPECT_EQ((*got)[0]["type"], "Ready");
  EXPECT_EQ((*got)[0]["reason"], "NodeStatusNeverUpdated");
}

std::vector<std::string> TaintNames(const Json& taints) {
  std::vector<std::string> out;
  for (const Json& t : taints) out.push_back(GetStr(t, {"key"}) + ":" + GetStr(t, {"effect"}));
  return out;
}

TEST(DesiredTaintsTest, TheReadyStatusPicksTheLifecycleTaints) {
  const Json other = {{"key", "dedicated"}, {"value", "gpu"}, {"effect", "NoSchedule"}};
  const Json unreachable_exec = {
      {"key", kTaintUnreachable}, {"effect", "NoExecute"}, {"timeAdded", FormatTime(kT0)}};
  const Json unreachable_sched = {{"key", kTaintUnreachable}, {"effect", "NoSchedule"}};
  struct Case {
    const char* name;
    std::string ready;
    Json taints;
    std::optional<std::vector<std::string>> want;  // nullopt: unchanged
  };
  const std::string u = kTaintUnreachable;
  const std::string nr = kTaintNotReady;
  const std::vector<Case> cases = {
      {"ready, no taints", "True", Json::array(), std::nullopt},
      {"ready keeps other taints", "True", Json::array({other}), std::nullopt},
      {"unknown adds unreachable", "Unknown", Json::array({other}),
       std::vector<std::string>{"dedicated:NoSchedule", u + ":NoSchedule", u + ":NoExecute"}},
      {"false adds not-ready", "False", Json::array(),
       std::vector<std::string>{nr + ":NoSchedule", nr + ":NoExecute"}},
      {"unknown already tainted", "Unknown", Json::array({unreachable_sched, unreachable_exec}),
       std::nullopt},
      {"false swaps unreachable for not-ready", "False",
       Json::array({unreachable_sched, other, unreachable_exec}),
       std::vector<std::string>{"dedicated:NoSchedule", nr + ":NoSchedule", nr + ":NoExecute"}},
      {"ready again removes them", "True",
       Json::array({unreachable_exec, other, unreachable_sched}),
       std::vector<std::string>{"dedicated:NoSchedule"}},
  };
  for (const Case& c : cases) {
    std::optional<Json> got = DesiredTaints(Node(Json::array(), c.taints), c.ready, kT0 + 77);
    ASSERT_EQ(got.has_value(), c.want.has_value()) << c.name;
    if (got) {
      EXPECT_EQ(TaintNames(*got), *c.want) << c.name;
    }
  }
}

TEST(DesiredTaintsTest, NewNoExecuteTaintsAreStampedAndKeptOnesKeepTheirTime) {
  std::optional<Json> added = DesiredTaints(Node(Json::array()), "Unknown", kT0 + 77);
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ((*added)[1]["timeAdded"], FormatTime(kT0 + 77));
  EXPECT_FALSE((*added)[0].contains("timeAdded"));
  // Only the NoSchedule half missing: the NoExecute taint keeps its original time.
  Json half = Json::array({(*added)[1]});
  std::optional<Json> healed = DesiredTaints(Node(Json::array(), half), "Unknown", kT0 + 500);
  ASSERT_TRUE(healed.has_value());
  EXPECT_EQ((*healed)[0]["timeAdded"], FormatTime(kT0 + 77));
}

TEST(ReadyStatusTest, EmptyWithoutAReadyCondition) {
  EXPECT_EQ(ReadyStatus(Node(Json::array())), "");
  EXPECT_EQ(ReadyStatus(Node(Json::array({Ready("False", kT0)}))), "False");
}

}  // namespace
}  // namespace capstan::controllers
