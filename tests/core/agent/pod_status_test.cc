// Tests for core/agent/pod_status.h: the pod phase, conditions and container statuses the agent
// reports for each combination of runtime states (table-driven), as the kubelet would.
#include "core/agent/pod_status.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace capstan::agent {
namespace {

using nlohmann::json;

ContainerView Waiting(std::string reason = "ContainerCreating") {
  ContainerView c;
  c.name = "c";
  c.image = "img";
  c.reason = std::move(reason);
  return c;
}
ContainerView Running() {
  ContainerView c = Waiting();
  c.state = ContainerState::kRunning;
  c.started_at = "2026-01-01T00:00:01Z";
  c.container_id = "fake://container-1";
  return c;
}
ContainerView Exited(int code) {
  ContainerView c = Running();
  c.state = ContainerState::kTerminated;
  c.exit_code = code;
  c.finished_at = "2026-01-01T00:00:02Z";
  return c;
}
ContainerView BackingOff(int last_code) {
  ContainerView c = Waiting("CrashLoopBackOff");
  c.restart_count = 1;
  c.last_state = {{"terminated", {{"exitCode", last_code}}}};
  return c;
}

struct PhaseCase {
  std::string name;
  std::string policy;
  std::vector<ContainerView> init;
  std::vector<ContainerView> main;
  std::string phase;
};

TEST(PodPhaseTest, FollowsTheKubeletsRulesForEveryContainerMix) {
  const std::vector<PhaseCase> cases = {
      {"nothing started yet", "Always", {}, {Waiting()}, "Pending"},
      {"one running", "Always", {}, {Running()}, "Running"},
      {"one running one creating", "Always", {}, {Running(), Waiting()}, "Pending"},
      {"init still running", "Always", {Running()}, {Waiting("PodInitializing")}, "Pending"},
      {"init done, main running", "Always", {Exited(0)}, {Running()}, "Running"},
      {"init failed under Never", "Never", {Exited(1)}, {Waiting()}, "Failed"},
      {"init failed under OnFailure", "OnFailure", {Exited(1)}, {Waiting()}, "Pending"},
      {"all exited 0 under Never", "Never", {}, {Exited(0), Exited(0)}, "Succeeded"},
      {"one failed under Never", "Never", {}, {Exited(0), Exited(2)}, "Failed"},
      {"exited 0 under OnFailure", "OnFailure", {}, {Exited(0)}, "Succeeded"},
      {"failed under OnFailure restarts", "OnFailure", {}, {Exited(1)}, "Running"},
      {"exited under Always restarts", "Always", {}, {Exited(0)}, "Running"},
      {"crash loop backoff", "Always", {}, {BackingOff(1)}, "Running"},
      {"no containers", "Always", {}, {}, "Pending"},
  };
  for (const PhaseCase& c : cases) {
    PodView view;
    view.init_containers = c.init;
    view.containers = c.main;
    EXPECT_EQ(PodPhase(c.policy, view), c.phase) << c.name;
  }
}

TEST(ContainerStateJsonTest, RendersWaitingRunningAndTerminatedAsUpstream) {
  EXPECT_EQ(ContainerStateJson(Waiting()), json::parse(R"({"waiting":{"reason":
      "ContainerCreating"}})"));
  EXPECT_EQ(ContainerStateJson(Running()),
            json::parse(R"({"running":{"startedAt":"2026-01-01T00:00:01Z"}})"));
  json t = ContainerStateJson(Exited(0))["terminated"];
  EXPECT_EQ(t["reason"], "Completed");
  EXPECT_EQ(t["exitCode"], 0);
  EXPECT_EQ(t["finishedAt"], "2026-01-01T00:00:02Z");
  EXPECT_EQ(ContainerStateJson(Exited(137))["terminated"]["reason"], "Error");
}

json Pod(const std::string& policy) {
  return {{"metadata", {{"name", "p"}}},
          {"spec", {{"restartPolicy", policy}}},
          {"status", {{"qosClass", "BestEffort"}}}};
}

std::string ConditionStatus(const json& status, const std::string& type) {
  for (const json& c : status["conditions"]) {
    if (c["type"] == type) return c["status"];
  }
  return "";
}

TEST(BuildPodStatusTest, RunningPodIsReadyWithIpsAndContainerStatuses) {
  PodView view;
  view.host_ip = "10.0.0.5";
  view.pod_ip = "10.244.0.2";
  view.start_time = "2026-01-01T00:00:00Z";
  view.containers = {Running()};
  json s = BuildPodStatus(Pod("Always"), view, json::object(), "2026-01-01T00:00:03Z");
  EXPECT_EQ(s["phase"], "Running");
  EXPECT_EQ(s["podIP"], "10.244.0.2");
  EXPECT_EQ(s["podIPs"][0]["ip"], "10.244.0.2");
  EXPECT_EQ(s["hostIP"], "10.0.0.5");
  EXPECT_EQ(s["qosClass"], "BestEffort");
  EXPECT_EQ(s["startTime"], "2026-01-01T00:00:00Z");
  for (const char* type : {"PodScheduled", "Initialized", "ContainersReady", "Ready"}) {
    EXPECT_EQ(ConditionStatus(s, type), "True") << type;
  }
  const json& cs = s["containerStatuses"][0];
  EXPECT_EQ(cs["ready"], true);
  EXPECT_EQ(cs["started"], true);
  EXPECT_EQ(cs["containerID"], "fake://container-1");
  EXPECT_EQ(cs["restartCount"], 0);
  EXPECT_TRUE(cs["state"].contains("running"));
}

TEST(BuildPodStatusTest, KeepsTransitionTimesOfUnchangedConditions) {
  PodView view;
  view.containers = {Running()};
  json first = BuildPodStatus(Pod("Always"), view, json::object(), "T1");
  json second = BuildPodStatus(Pod("Always"), view, first, "T2");
  EXPECT_EQ(first, second);
  view.containers = {BackingOff(1)};
  json third = BuildPodStatus(Pod("Always"), view, second, "T3");
  for (const json& c : third["conditions"]) {
    std::string want = c["type"] == "Ready" || c["type"] == "ContainersReady" ? "T3" : "T1";
    EXPECT_EQ(c["lastTransitionTime"], want) << c["type"];
  }
  EXPECT_EQ(third["containerStatuses"][0]["state"]["waiting"]["reason"], "CrashLoopBackOff");
  EXPECT_EQ(third["containerStatuses"][0]["lastState"]["terminated"]["exitCode"], 1);
}

TEST(BuildPodStatusTest, CompletedPodIsNotReadyWithReasonPodCompleted) {
  PodView view;
  view.init_containers = {Exited(0)};
  view.containers = {Exited(0)};
  json s = BuildPodStatus(Pod("Never"), view, json::object(), "T");
  EXPECT_EQ(s["phase"], "Succeeded");
  for (const json& c : s["conditions"]) {
    if (c["type"] == "Ready") {
      EXPECT_EQ(c["reason"], "PodCompleted");
    }
  }
  EXPECT_EQ(s["initContainerStatuses"][0]["state"]["terminated"]["reason"], "Completed");
  EXPECT_FALSE(s.contains("podIP"));
}

}  // namespace
}  // namespace capstan::agent
