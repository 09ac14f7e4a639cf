// Integration tests of probes and lifecycle hooks (core/agent/prober.cc, probe_exec.cc) with a
// real API server and the fake runtime (whose ExecSync result a test controls through a file):
// readiness driving Ready/ContainersReady, liveness restarts with Unhealthy/Killing events,
// startup gating, httpGet against a local HTTP server at the pod IP (127.0.0.1 from a
// PodNetwork stub), tcpSocket, and a failing postStart hook. One probe "second" is 50 ms here.
#include <atomic>
#include <filesystem>
#include <fstream>

#include "tests/core/agent/agent_fixture.h"
#include "tests/core/image/test_registry.h"

namespace capstan::agent {
namespace {

using client::testing::Eventually;
using nlohmann::json;
namespace fs = std::filesystem;

class LoopbackNetwork : public PodNetwork {
 public:
  Result<PodNetworkResult> Add(const PodNetworkRequest&) override {
    return PodNetworkResult{{"127.0.0.1"}};
  }
  Status Del(const PodNetworkRequest&) override { return Status::Ok(); }
};

class AgentProbeTest : public testing::AgentFixture {
 protected:
  json ProbedPod(const std::string& name, const json& container_extra) {
    json c = {{"name", "main"}, {"image", "nginx"}};
    for (auto it = container_extra.begin(); it != container_extra.end(); ++it) c[it.key()] = *it;
    return Pod(name, {{"containers", json::array({c})}});
  }
  json Status0(const std::string& pod) {
    const json cs = GetPod(pod)["status"].value("containerStatuses", json::array());
    return cs.empty() ? json::object() : cs[0];
  }
  std::string flag_;  // the file that makes fake-file-exists succeed
};

json ExecProbe(const std::vector<std::string>& cmd, int failure_threshold = 1) {
  return {
      {"exec", {{"command", cmd}}}, {"periodSeconds", 1}, {"failureThreshold", failure_threshold}};
}

TEST_F(AgentProbeTest, ReadinessProbeDrivesContainerAndPodReadiness) {
  StartAgent();
  std::string flag = data_dir_ + "/ready";
  ASSERT_TRUE(
      Create("/api/v1/namespaces/default/pods",
             ProbedPod("ready-probe", {{"readinessProbe", ExecProbe({"fake-file-exists", flag})}}))
          .ok());
  ASSERT_TRUE(
      Eventually([&] { return GetPod("ready-probe")["status"].value("phase", "") == "Running"; }));
  EXPECT_EQ(Condition(GetPod("ready-probe"), "Ready"), "False");
  EXPECT_EQ(Status0("ready-probe")["ready"], false);
  std::ofstream(flag) << "ok";
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("ready-probe"), "Ready") == "True"; }));
  EXPECT_EQ(Condition(GetPod("ready-probe"), "ContainersReady"), "True");
  EXPECT_EQ(Status0("ready-probe")["ready"], true);
  fs::remove(flag);
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("ready-probe"), "Ready") == "False"; }));
  EXPECT_TRUE(HasEvent(
      "ready-probe", "Unhealthy: Readiness probe failed: " + flag + ": No such file or directory"));
  EXPECT_EQ(Status0("ready-probe")["restartCount"], 0);  // readiness never restarts
}

TEST_F(AgentProbeTest, FailingLivenessProbeKillsAndRestartsTheContainer) {
  StartAgent();
  ASSERT_TRUE(
      Create("/api/v1/namespaces/default/pods",
             ProbedPod("live-probe", {{"livenessProbe", ExecProbe({"fake-exit", "1", "boom"}, 2)}}))
          .ok());
  ASSERT_TRUE(Eventually([&] { return Status0("live-probe").value("restartCount", 0) >= 1; }));
  EXPECT_TRUE(HasEvent("live-probe", "Unhealthy: Liveness probe failed: boom"));
  EXPECT_TRUE(
      HasEvent("live-probe", "Killing: Container main failed liveness probe, will be restarted"));
  EXPECT_EQ(Status0("live-probe")["lastState"]["terminated"]["exitCode"], 143);
}

TEST_F(AgentProbeTest, StartupProbeGatesLivenessAndReadiness) {
  StartAgent();
  std::string flag = data_dir_ + "/started";
  json extra = {{"startupProbe", ExecProbe({"fake-file-exists", flag}, 1000)},
                {"livenessProbe", ExecProbe({"fake-exit", "1", "dead"}, 1)},
                {"readinessProbe", ExecProbe({"fake-exit", "0"})}};
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", ProbedPod("startup", extra)).ok());
  ASSERT_TRUE(
      Eventually([&] { return GetPod("startup")["status"].value("phase", "") == "Running"; }));
  // Several periods pass: liveness would have killed it were it not gated.
  ASSERT_TRUE(
      Eventually([&] { return HasEvent("startup", "Unhealthy: Startup probe failed: " + flag); }));
  EXPECT_EQ(Status0("startup")["started"], false);
  EXPECT_EQ(Status0("startup")["ready"], false);
  EXPECT_EQ(Status0("startup")["restartCount"], 0);
  EXPECT_FALSE(HasEventNow("startup", "Unhealthy: Liveness probe failed"));
  std::ofstream(flag) << "ok";
  // Once started, the failing liveness probe runs and restarts the container.
  EXPECT_TRUE(Eventually([&] { return Status0("startup").value("restartCount", 0) >= 1; }));
  EXPECT_TRUE(HasEvent("startup", "Unhealthy: Liveness probe failed: dead"));
}

TEST_F(AgentProbeTest, HttpGetAndTcpSocketProbesReachThePodIp) {
  std::atomic<int> code{503};
  std::atomic<int> hits{0};
  std::string seen_header;
  std::mutex mu;
  image::testing::FakeHttpServer server([&](const image::testing::FakeRequest& r) {
    ++hits;
    std::lock_guard<std::mutex> lock(mu);
    if (r.target == "/healthz")
      seen_header = r.headers.count("x-probe") ? r.headers.at("x-probe") : "";
    return image::testing::FakeResponse{r.target == "/healthz" ? code.load() : 404, {}, "body"};
  });
  LoopbackNetwork network;
  fake_config_["netnsDir"] = "/run/fake-netns";
  StartAgent([&](AgentOptions& o) { o.network = &network; });
  json extra = {
      {"ports", json::array({{{"name", "http"}, {"containerPort", server.port()}}})},
      {"readinessProbe",
       {{"httpGet",
         {{"path", "/healthz"},
          {"port", "http"},
          {"httpHeaders", json::array({{{"name", "X-Probe"}, {"value", "yes"}}})}}},
        {"periodSeconds", 1},
        {"failureThreshold", 1}}},
      {"livenessProbe", {{"tcpSocket", {{"port", server.port()}}}, {"periodSeconds", 1}}}};
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", ProbedPod("http-probe", extra)).ok());
  ASSERT_TRUE(Eventually([&] {
    return HasEvent("http-probe",
                    "Unhealthy: Readiness probe failed: HTTP probe failed with "
                    "statuscode: 503");
  }));
  EXPECT_EQ(GetPod("http-probe")["status"]["podIP"], "127.0.0.1");
  EXPECT_EQ(Condition(GetPod("http-probe"), "Ready"), "False");
  code = 200;
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("http-probe"), "Ready") == "True"; }));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(seen_header, "yes");
  }
  EXPECT_EQ(Status0("http-probe")["restartCount"], 0);  // the tcpSocket liveness probe passes
  EXPECT_FALSE(HasEventNow("http-probe", "Unhealthy: Liveness probe failed"));
}

TEST_F(AgentProbeTest, FailingPostStartHookKillsTheContainer) {
  StartAgent();
  json extra = {
      {"lifecycle", {{"postStart", {{"exec", {{"command", {"fake-exit", "2", "nope"}}}}}}}}};
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", ProbedPod("hook", extra)).ok());
  EXPECT_TRUE(Eventually([&] {
    return HasEvent("hook", "FailedPostStartHook: PostStartHook failed: nope") &&
           Status0("hook").value("restartCount", 0) >= 1;
  }));
}

}  // namespace
}  // namespace capstan::agent
