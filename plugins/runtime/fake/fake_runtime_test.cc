// Tests for the `fake` runtime plugin (fake_runtime.h) through its C vtable with the SDK harness:
// lifecycle, exit rules, start latency, pod IPs from the CIDR, concurrent calls, attach.
#include "fake_runtime.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"

namespace capstan::plugins::fake_runtime {
namespace {

using sdk::json::Json;
using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;
using Rt = capstan_runtime_v1;

class FakeRuntimeTest : public ::testing::Test {
 protected:
  explicit FakeRuntimeTest(const char* config = R"({"podCidr":"10.244.3.0/24",
      "exitRules":[{"imageContains":"exit-0","afterMs":0,"exitCode":0},
                   {"imageContains":"crash","afterMs":0,"exitCode":1},
                   {"imageContains":"slow-exit","afterMs":60000,"exitCode":2}]})")
      : plugin_(host_, config) {}

  Json Call(capstan_runtime_rpc_fn Rt::*rpc, const Json& request, capstan_rc want = 0) {
    Outcome o = plugin_.Runtime(rpc, request.dump());
    EXPECT_EQ(o.rc, want) << o.error;
    return o.output.empty() ? Json() : Json::parse(o.output);
  }
  std::string RunSandbox(const std::string& name) {
    Json req = {{"config", {{"metadata", {{"name", name}, {"namespace", "default"}}}}}};
    return Call(&Rt::on_run_pod_sandbox, req)["podSandboxId"];
  }
  std::string Start(const std::string& sandbox, const std::string& image) {
    Json req = {{"podSandboxId", sandbox},
                {"config", {{"metadata", {{"name", "main"}}}, {"image", {{"image", image}}}}}};
    std::string id = Call(&Rt::on_create_container, req)["containerId"];
    Call(&Rt::on_start_container, {{"containerId", id}});
    return id;
  }
  Json Status(const std::string& id) {
    return Call(&Rt::on_container_status, {{"containerId", id}})["status"];
  }

  FakeHost host_;
  TestPlugin<FakeRuntime> plugin_;
};

TEST_F(FakeRuntimeTest, ContainersExitAsTheirImageRuleSays) {
  ASSERT_TRUE(plugin_.init().ok());
  std::string sb = RunSandbox("web");
  struct Case {
    std::string image;
    std::string state;
    int exit_code;
  };
  const std::vector<Case> cases = {
      {"registry/app:exit-0", "CONTAINER_EXITED", 0},
      {"crash-loop:1", "CONTAINER_EXITED", 1},
      {"slow-exit", "CONTAINER_RUNNING", 0},
      {"nginx:1.27", "CONTAINER_RUNNING", 0},
  };
  for (const Case& c : cases) {
    Json st = Status(Start(sb, c.image));
    EXPECT_EQ(st["state"], c.state) << c.image;
    EXPECT_EQ(st["exitCode"], c.exit_code) << c.image;
    EXPECT_EQ(st["image"]["image"], c.image);
  }
}

// A sandbox with a log directory and a container created with stdin (attach tests).
class FakeRuntimeAttachTest : public FakeRuntimeTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(plugin_.init().ok());
    dir_ = std::filesystem::temp_directory_path() /
           ("capstan-fake-attach-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string StartWith(const Json& extra_config) {
    Json sb = {{"config",
                {{"metadata", {{"name", "p"}, {"namespace", "default"}}},
                 {"logDirectory", dir_.string()}}}};
    std::string sandbox = Call(&Rt::on_run_pod_sandbox, sb)["podSandboxId"];
    Json config = {{"metadata", {{"name", "main"}}},
                   {"image", {{"image", "busybox"}}},
                   {"logPath", "main/0.log"}};
    config.update(extra_config);
    std::string id = Call(&Rt::on_create_container,
                          {{"podSandboxId", sandbox}, {"config", config}})["containerId"];
    Call(&Rt::on_start_container, {{"containerId", id}});
    return id;
  }
  // Runs on_attach with `input` then EOF on stdin.
  capstan_rc Attach(const std::string& id, const std::string& input) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    EXPECT_EQ(write(fds[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
    close(fds[1]);
    capstan_runtime_streams streams{sizeof(capstan_runtime_streams), fds[0], -1, -1, 0, 0, -1, 0};
    sdk::testing::FakeCall call;
    std::string req = Json{{"containerId", id}}.dump();
    auto* vt = plugin_.Vtable<Rt>(CAPSTAN_KIND_RUNTIME);
    capstan_rc rc = vt->on_attach(plugin_.state(), call.get(), sdk::ToHostBuf(req), &streams);
    close(fds[0]);
    return rc;
  }
  std::string Log() {
    std::ifstream in(dir_ / "main" / "0.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::filesystem::path dir_;
};

TEST_F(FakeRuntimeAttachTest, ARunningContainerHasAnEmptyLog) {
  StartWith(Json::object());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "main" / "0.log"));
  EXPECT_EQ(Log(), "");
}

TEST_F(FakeRuntimeAttachTest, StdinIsEchoedIntoTheLogAsCriRecords) {
  std::string id = StartWith({{"stdin", true}});
  ASSERT_EQ(Attach(id, "hello\nwor"), CAPSTAN_RC_OK);
  std::string log = Log();
  EXPECT_NE(log.find(" stdout F hello\n"), std::string::npos) << log;
  EXPECT_NE(log.find(" stdout P wor\n"), std::string::npos) << log;
  EXPECT_EQ(log.find('Z'), 29u) << "RFC 3339 with nanoseconds: " << log;
  EXPECT_EQ(Status(id)["state"], "CONTAINER_RUNNING") << "without stdinOnce stdin stays open";
  ASSERT_EQ(Attach(id, "again\n"), CAPSTAN_RC_OK);
  EXPECT_NE(Log().find(" stdout F again\n"), std::string::npos);
}

TEST_F(FakeRuntimeAttachTest, StdinOnceEndsTheContainerLikeCatAtEof) {
  std::string id = StartWith({{"stdin", true}, {"stdinOnce", true}});
  ASSERT_EQ(Attach(id, "bye\n"), CAPSTAN_RC_OK);
  Json st = Status(id);
  EXPECT_EQ(st["state"], "CONTAINER_EXITED");
  EXPECT_EQ(st["exitCode"], 0);
  EXPECT_EQ(Attach(id, "late\n"), CAPSTAN_RC_INVALID);
}

TEST_F(FakeRuntimeAttachTest, RefusesContainersWithoutStdinAndUnknownOnes) {
  std::string id = StartWith(Json::object());
  EXPECT_EQ(Attach(id, "x"), CAPSTAN_RC_INVALID);
  EXPECT_EQ(Attach("container-999", "x"), CAPSTAN_RC_NOT_FOUND);
  EXPECT_EQ(Log(), "");
}

TEST_F(FakeRuntimeTest, StoppingARunningContainerEndsItLikeSigterm) {
  ASSERT_TRUE(plugin_.init().ok());
  std::string c = Start(RunSandbox("web"), "nginx");
  Call(&Rt::on_stop_container, {{"containerId", c}, {"timeout", 30}});
  Json st = Status(c);
  EXPECT_EQ(st["state"], "CONTAINER_EXITED");
  EXPECT_EQ(st["exitCode"], 143);
  Call(&Rt::on_stop_container, {{"containerId", "container-999"}});  // absent: still OK
  Call(&Rt::on_container_status, {{"containerId", "container-999"}}, CAPSTAN_RC_NOT_FOUND);
}

TEST_F(FakeRuntimeTest, SandboxesGetAddressesFromTheCidrAndFreeThemOnRemoval) {
  ASSERT_TRUE(plugin_.init().ok());
  std::string a = RunSandbox("a");
  std::string b = RunSandbox("b");
  auto ip = [&](const std::string& id) {
    return Call(&Rt::on_pod_sandbox_status, {{"podSandboxId", id}})["status"]["network"]["ip"];
  };
  EXPECT_EQ(ip(a), "10.244.3.2");
  EXPECT_EQ(ip(b), "10.244.3.3");
  Call(&Rt::on_stop_pod_sandbox, {{"podSandboxId", a}});
  Call(&Rt::on_remove_pod_sandbox, {{"podSandboxId", a}});
  EXPECT_EQ(ip(RunSandbox("c")), "10.244.3.2");
}

TEST_F(FakeRuntimeTest, ConcurrentPodsDoNotInterfere) {
  ASSERT_TRUE(plugin_.init().ok());
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::vector<std::string> states(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      Json req = {{"config", {{"metadata", {{"name", "p" + std::to_string(i)}}}}}};
      Outcome o = plugin_.Runtime(&Rt::on_run_pod_sandbox, req.dump());
      std::string sb = Json::parse(o.output)["podSandboxId"];
      Json cr = {{"podSandboxId", sb},
                 {"config", {{"metadata", {{"name", "main"}}}, {"image", {{"image", "x"}}}}}};
      std::string c =
          Json::parse(plugin_.Runtime(&Rt::on_create_container, cr.dump()).output)["containerId"];
      plugin_.Runtime(&Rt::on_start_container, Json{{"containerId", c}}.dump());
      Json st = Json::parse(
          plugin_.Runtime(&Rt::on_container_status, Json{{"containerId", c}}.dump()).output);
      states[i] = st["status"]["state"];
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& s : states) EXPECT_EQ(s, "CONTAINER_RUNNING");
}

class FakeRuntimeLatencyTest : public FakeRuntimeTest {
 protected:
  FakeRuntimeLatencyTest() : FakeRuntimeTest(R"({"startLatencyMs":50})") {}
};

TEST_F(FakeRuntimeLatencyTest, StartTakesTheConfiguredLatencyAndDefaultRulesApply) {
  ASSERT_TRUE(plugin_.init().ok());
  std::string sb = RunSandbox("web");
  auto before = std::chrono::steady_clock::now();
  std::string c = Start(sb, "nginx");
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(50));
  EXPECT_EQ(Status(c)["state"], "CONTAINER_RUNNING");
  EXPECT_EQ(Call(&Rt::on_pod_sandbox_status, {{"podSandboxId", sb}})["status"]["network"]["ip"],
            "10.244.0.2");
  // The default "crash" rule exits 1 after 100 ms.
  std::string crash = Start(sb, "crash");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Status(crash)["state"] != "CONTAINER_EXITED" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(Status(crash)["exitCode"], 1);
}

TEST_F(FakeRuntimeTest, StatsIntegrateTheAnnotatedCpuRateAndReportTheAnnotatedMemory) {
  ASSERT_TRUE(plugin_.init().ok());
  Json sandbox = {{"config",
                   {{"metadata", {{"name", "busy"}, {"namespace", "default"}}},
                    {"annotations",
                     {{kCpuMillicoresAnnotation, "250"}, {kMemoryBytesAnnotation, "1048576"}}}}}};
  std::string busy = Call(&Rt::on_run_pod_sandbox, sandbox)["podSandboxId"];
  Json create = {{"podSandboxId", busy},
                 {"config",
                  {{"metadata", {{"name", "burn"}}},
                   {"image", {{"image", "nginx"}}},
                   {"labels", {{"io.kubernetes.pod.name", "busy"}}}}}};
  std::string burn = Call(&Rt::on_create_container, create)["containerId"];
  Call(&Rt::on_start_container, {{"containerId", burn}});
  std::string idle = Start(RunSandbox("idle"), "nginx");
  std::string exited = Start(busy, "exit-0");

  Json stats = Call(&Rt::on_list_container_stats, {{"filter", Json::object()}})["stats"];
  int64_t started = std::stoll(Status(burn)["startedAt"].get<std::string>());
  std::map<std::string, Json> by_id;
  for (const Json& s : stats) by_id[s["attributes"]["id"]] = s;
  EXPECT_EQ(by_id.count(exited), 0u) << "only running containers have stats";
  ASSERT_EQ(by_id.count(burn), 1u);
  const Json& b = by_id[burn];
  EXPECT_EQ(b["attributes"]["metadata"]["name"], "burn");
  EXPECT_EQ(b["attributes"]["labels"]["io.kubernetes.pod.name"], "busy");
  EXPECT_EQ(b["memory"]["workingSetBytes"]["value"], 1048576);
  int64_t at = b["cpu"]["timestamp"];
  uint64_t want = static_cast<uint64_t>(at - started) / 4;  // 250 millicores
  uint64_t got = b["cpu"]["usageCoreNanoSeconds"]["value"];
  EXPECT_LE(got > want ? got - want : want - got, 1u);
  ASSERT_EQ(by_id.count(idle), 1u);
  EXPECT_EQ(by_id[idle]["cpu"]["usageCoreNanoSeconds"]["value"], 0);
  EXPECT_EQ(by_id[idle]["memory"]["workingSetBytes"]["value"], 0);

  Json one = Call(&Rt::on_list_container_stats, {{"filter", {{"id", idle}}}})["stats"];
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]["attributes"]["id"], idle);
}

class FakeRuntimeBadConfigTest : public FakeRuntimeTest {
 protected:
  FakeRuntimeBadConfigTest() : FakeRuntimeTest(R"({"podCidr":"10.0.0.0/16"})") {}
};

TEST_F(FakeRuntimeBadConfigTest, RejectsACidrThatIsNotASlash24) {
  EXPECT_FALSE(plugin_.init().ok());
}

}  // namespace
}  // namespace capstan::plugins::fake_runtime
