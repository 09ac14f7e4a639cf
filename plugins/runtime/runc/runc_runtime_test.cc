// Integration tests of the `runc` runtime (runc_runtime.h) with the real /usr/sbin/runc and a
// busybox rootfs built from /bin/busybox: exit codes and CRI logs, graceful stop, shared pod
// network namespace, ExecSync, exec with a terminal, attach to stdin (pipe and terminal,
// stdinOnce), adoption by a restarted plugin, memory limits in the cgroup, start through the exec
// FIFO, and the measured create+start latency. Skipped only when runc or busybox is absent.
#include "runc_runtime.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "cgroups.h"
#include "process.h"

namespace capstan::plugins::runc_runtime {
namespace {

namespace fs = std::filesystem;
using sdk::json::Json;
using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;
using Rt = capstan_runtime_v1;

constexpr char kRunc[] = "/usr/sbin/runc";
constexpr char kBusybox[] = "/bin/busybox";
constexpr char kCgroupRoot[] = "capstan-test";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `pred` every 10 ms for up to 20 s.
bool WaitFor(const std::function<bool()>& pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

std::string Base64Decode(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    size_t v = kAlphabet.find(c);
    if (v == std::string::npos) break;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

class RuncRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kRunc, X_OK) != 0 || access(kBusybox, X_OK) != 0) {
      GTEST_SKIP() << "runc or busybox is not installed";
    }
    root_ = fs::path("/tmp") / ("capstan-runc-test-" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "rootfs/bin");
    fs::create_directories(root_ / "rootfs/tmp");
    fs::create_directories(root_ / "logs");
    fs::copy_file(kBusybox, root_ / "rootfs/bin/busybox");
    CommandResult list;
    ASSERT_TRUE(RunCommand({kBusybox, "--list"}, {}, &list).ok());
    std::istringstream applets(list.out);
    for (std::string name; std::getline(applets, name);) {
      if (!name.empty() && name != "busybox") {
        fs::create_symlink("busybox", root_ / "rootfs/bin" / name);
      }
    }
    config_ = Json{{"stateDir", (root_ / "state").string()},
                   {"cgroupRoot", kCgroupRoot},
                   {"shimPath", CAPSTAN_SHIM_PATH}}
                  .dump();
    Restart();
  }

  void TearDown() override {
    if (plugin_ != nullptr && plugin_->init().ok()) {
      Json list = Call(&Rt::on_list_pod_sandboxes, Json::object());
      for (const Json& s : list["items"]) {
        Call(&Rt::on_remove_pod_sandbox, {{"podSandboxId", s["id"]}});
      }
    }
    plugin_.reset();
    RemoveRelativeCgroup(kCgroupRoot);
    if (!root_.empty()) fs::remove_all(root_);
  }

  // A new plugin instance over the same state directory (as after an agent restart).
  void Restart() {
    plugin_.reset();
    plugin_ = std::make_unique<TestPlugin<RuncRuntime>>(host_, config_);
    ASSERT_TRUE(plugin_->init().ok()) << plugin_->init().error;
  }

  Json Call(capstan_runtime_rpc_fn Rt::*rpc, const Json& request, capstan_rc want = 0) {
    Outcome o = plugin_->Runtime(rpc, request.dump());
    EXPECT_EQ(o.rc, want) << o.error;
    return o.output.empty() ? Json() : Json::parse(o.output);
  }
  std::string RunSandbox(const std::string& name, const Json& extra = Json::object()) {
    Json config = {{"metadata", {{"name", name}, {"namespace", "default"}, {"uid", "u-" + name}}},
                   {"hostname", name},
                   {"logDirectory", (root_ / "logs" / name).string()}};
    config.update(extra);
    return Call(&Rt::on_run_pod_sandbox, {{"config", config}})["podSandboxId"];
  }
  std::string Create(const std::string& sandbox, const std::string& name,
                     const std::vector<std::string>& command, const Json& extra = Json::object()) {
    Json config = {{"metadata", {{"name", name}, {"attempt", 0}}},
                   {"image", {{"image", "busybox:test"}}},
                   {"rootfs", (root_ / "rootfs").string()},
                   {"imageConfig", {{"Cmd", {"/bin/sh"}}, {"Env", {"FROM_IMAGE=1"}}}},
                   {"command", command},
                   {"logPath", name + "/0.log"}};
    config.update(extra);
    return Call(&Rt::on_create_container, {{"podSandboxId", sandbox}, {"config", config}})
        .value("containerId", "");
  }
  std::string Run(const std::string& sandbox, const std::string& name,
                  const std::vector<std::string>& command, const Json& extra = Json::object()) {
    std::string id = Create(sandbox, name, command, extra);
    Call(&Rt::on_start_container, {{"containerId", id}});
    return id;
  }
  Json Status(const std::string& id) {
    return Call(&Rt::on_container_status, {{"containerId", id}})["status"];
  }
  bool Exited(const std::string& id) { return Status(id)["state"] == "CONTAINER_EXITED"; }
  Json Exec(const std::string& id, const std::vector<std::string>& cmd, int timeout = 10,
            capstan_rc want = 0) {
    return Call(&Rt::on_exec_sync, {{"containerId", id}, {"cmd", cmd}, {"timeout", timeout}}, want);
  }
  std::string ExecOut(const std::string& id, const std::vector<std::string>& cmd) {
    Json r = Exec(id, cmd);
    return Base64Decode(r.value("stdout", ""));
  }
  std::string Log(const std::string& sandbox_name, const std::string& name) {
    return ReadFile(root_ / "logs" / sandbox_name / name / "0.log");
  }

  FakeHost host_;
  fs::path root_;
  std::string config_;
  std::unique_ptr<TestPlugin<RuncRuntime>> plugin_;
};

TEST_F(RuncRuntimeTest, ExitedContainerReportsItsCodeAndCriFormatLogs) {
  std::string sb = RunSandbox("exit3");
  std::string id = Run(sb, "main", {"/bin/sh", "-c", "echo hello; echo oops >&2; exit 3"});
  ASSERT_TRUE(WaitFor([&] { return Exited(id); }));
  Json st = Status(id);
  EXPECT_EQ(st["exitCode"], 3);
  EXPECT_EQ(st["reason"], "Error");
  EXPECT_GT(std::stoll(st["finishedAt"].get<std::string>()),
            std::stoll(st["startedAt"].get<std::string>()));
  EXPECT_EQ(st["logPath"], (root_ / "logs/exit3/main/0.log").string());
  std::string log = Log("exit3", "main");
  const std::regex out(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello$)");
  const std::regex err(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stderr F oops$)");
  std::istringstream lines(log);
  int matched = 0;
  for (std::string line; std::getline(lines, line);) {
    matched += std::regex_match(line, out) || std::regex_match(line, err) ? 1 : 0;
  }
  EXPECT_EQ(matched, 2) << log;
}

TEST_F(RuncRuntimeTest, ContainerProcessStartsWithDefaultSignalDispositions) {
  std::string sb = RunSandbox("signals");
  std::string id = Run(sb, "main", {"/bin/grep", "SigIgn", "/proc/self/status"});
  ASSERT_TRUE(WaitFor([&] { return Exited(id); }));
  EXPECT_NE(Log("signals", "main").find("stdout F SigIgn:\t0000000000000000"), std::string::npos)
      << Log("signals", "main");
}

TEST_F(RuncRuntimeTest, StopSendsSigtermFirstAndSigkillAfterTheTimeout) {
  std::string sb = RunSandbox("stop");
  std::string graceful = Run(sb, "graceful",
                             {"/bin/sh", "-c",
                              "trap 'echo got-term; exit 42' TERM; echo ready; "
                              "while true; do sleep 0.1; done"});
  std::string stubborn =
      Run(sb, "stubborn",
          {"/bin/sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"});
  ASSERT_TRUE(WaitFor([&] { return Log("stop", "graceful").find("ready") != std::string::npos; }));
  ASSERT_TRUE(WaitFor([&] { return Log("stop", "stubborn").find("ready") != std::string::npos; }));
  EXPECT_EQ(Status(graceful)["state"], "CONTAINER_RUNNING");
  Call(&Rt::on_stop_container, {{"containerId", graceful}, {"timeout", 10}});
  EXPECT_EQ(Status(graceful)["state"], "CONTAINER_EXITED");
  EXPECT_EQ(Status(graceful)["exitCode"], 42);
  EXPECT_NE(Log("stop", "graceful").find("stdout F got-term"), std::string::npos);
  Call(&Rt::on_stop_container, {{"containerId", stubborn}, {"timeout", 1}});
  EXPECT_EQ(Status(stubborn)["exitCode"], 137);
  // Stop and remove are idempotent, also for IDs that never existed.
  Call(&Rt::on_stop_container, {{"containerId", stubborn}, {"timeout", 1}});
  Call(&Rt::on_remove_container, {{"containerId", stubborn}});
  Call(&Rt::on_remove_container, {{"containerId", stubborn}});
  Call(&Rt::on_container_status, {{"containerId", stubborn}}, CAPSTAN_RC_NOT_FOUND);
  EXPECT_FALSE(fs::exists(plugin_->plugin().BundleDir(stubborn)));
}

TEST_F(RuncRuntimeTest, ContainersOfOnePodShareItsNetworkNamespace) {
  std::string sb = RunSandbox("pod");
  Json info = Call(&Rt::on_pod_sandbox_status, {{"podSandboxId", sb}})["info"];
  std::string netns = info.value("netnsPath", "");
  ASSERT_FALSE(netns.empty());
  struct stat ns_stat {};
  ASSERT_EQ(stat(netns.c_str(), &ns_stat), 0);
  // The server's stdin must stay open: at EOF busybox nc half-closes the connection, and a
  // client seeing that EOF early may quit before sending.
  std::string server = Run(sb, "server", {"/bin/sh", "-c", "sleep 30 | nc -l -p 7777"});
  std::string client = Run(sb, "client",
                           {"/bin/sh", "-c",
                            "for i in $(seq 100); do echo ping | nc 127.0.0.1 7777 && exit 0; "
                            "sleep 0.1; done; exit 1"});
  ASSERT_TRUE(WaitFor([&] { return Exited(client); }));
  EXPECT_EQ(Status(client)["exitCode"], 0);
  EXPECT_TRUE(WaitFor([&] {
    return Log("pod", "server").find("stdout F ping") != std::string::npos;
  })) << "server log: "
      << Log("pod", "server") << "\nclient log: " << Log("pod", "client")
      << "\nserver: " << Status(server).dump();
  // Same namespace in both containers: the one bind-mounted at netnsPath, not the host's.
  std::string other = Run(sb, "other", {"/bin/sleep", "60"});
  std::string link = ExecOut(other, {"readlink", "/proc/self/ns/net"});
  EXPECT_EQ(link, "net:[" + std::to_string(ns_stat.st_ino) + "]\n");
  EXPECT_NE(link.substr(0, link.size() - 1), fs::read_symlink("/proc/self/ns/net").string());
  EXPECT_EQ(ExecOut(other, {"hostname"}), "pod\n");
  EXPECT_NE(ExecOut(other, {"ip", "link", "show", "lo"}).find(",UP"), std::string::npos);
  Call(&Rt::on_stop_pod_sandbox, {{"podSandboxId", sb}});
  EXPECT_EQ(Status(other)["state"], "CONTAINER_EXITED");
  Call(&Rt::on_remove_pod_sandbox, {{"podSandboxId", sb}});
  Call(&Rt::on_remove_pod_sandbox, {{"podSandboxId", sb}});
  EXPECT_FALSE(fs::exists(netns));
  Call(&Rt::on_container_status, {{"containerId", other}}, CAPSTAN_RC_NOT_FOUND);
}

TEST_F(RuncRuntimeTest, HostNetworkSandboxHasNoNetnsPath) {
  std::string sb = RunSandbox(
      "hostnet", {{"linux", {{"securityContext", {{"namespaceOptions", {{"network", 2}}}}}}}});
  Json st = Call(&Rt::on_pod_sandbox_status, {{"podSandboxId", sb}});
  EXPECT_EQ(st["status"]["state"], "SANDBOX_READY");
  EXPECT_FALSE(st["info"].contains("netnsPath"));
  std::string id = Run(sb, "main", {"/bin/sleep", "60"});
  EXPECT_EQ(ExecOut(id, {"readlink", "/proc/self/ns/net"}),
            fs::read_symlink("/proc/self/ns/net").string() + "\n");
}

TEST_F(RuncRuntimeTest, ExecSyncReturnsOutputExitCodeAndHonoursItsTimeout) {
  std::string sb = RunSandbox("exec");
  std::string id =
      Run(sb, "main", {"/bin/sleep", "60"}, {{"envs", {{{"key", "K"}, {"value", "v"}}}}});
  Json r = Exec(id, {"/bin/sh", "-c", "echo out $K $FROM_IMAGE; echo err >&2; exit 5"});
  EXPECT_EQ(r["exitCode"], 5);
  EXPECT_EQ(Base64Decode(r["stdout"]), "out v 1\n");
  EXPECT_EQ(Base64Decode(r["stderr"]), "err\n");
  auto before = std::chrono::steady_clock::now();
  Exec(id, {"/bin/sleep", "30"}, 1, CAPSTAN_RC_DEADLINE_EXCEEDED);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(20));
}

TEST_F(RuncRuntimeTest, AttachedExecUsesTheHostsDescriptors) {
  std::string sb = RunSandbox("attach");
  std::string id = Run(sb, "main", {"/bin/sleep", "60"});
  int in[2], out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  ASSERT_EQ(write(in[1], "from-stdin\n", 11), 11);
  close(in[1]);
  const auto* rt = plugin_->Vtable<capstan_runtime_v1>(CAPSTAN_KIND_RUNTIME);
  capstan_runtime_streams streams{
      sizeof(capstan_runtime_streams), in[0], out[1], out[1], 0, 0, -1, 0};
  std::string req = Json{{"containerId", id}, {"cmd", {"/bin/sh", "-c", "cat; exit 4"}}}.dump();
  sdk::testing::FakeCall call;
  int32_t exit_code = -1;
  capstan_rc rc =
      rt->on_exec(plugin_->state(), call.get(), sdk::ToHostBuf(req), &streams, &exit_code);
  close(in[0]);
  close(out[1]);
  EXPECT_EQ(rc, CAPSTAN_RC_OK) << call.error();
  EXPECT_EQ(exit_code, 4);
  char buf[64] = {};
  EXPECT_EQ(read(out[0], buf, sizeof(buf) - 1), 11);
  EXPECT_STREQ(buf, "from-stdin\n");
  close(out[0]);
}

TEST_F(RuncRuntimeTest, ExecWithATerminalRunsOnAPtySizedByTheResizePipe) {
  std::string sb = RunSandbox("tty");
  std::string id = Run(sb, "main", {"/bin/sleep", "60"});
  int in[2], out[2], resize[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  ASSERT_EQ(pipe(resize), 0);
  ASSERT_EQ(write(resize[1], "50 12\n", 6), 6);  // sent before the terminal exists
  ASSERT_EQ(write(in[1], "typed\n", 6), 6);
  const auto* rt = plugin_->Vtable<capstan_runtime_v1>(CAPSTAN_KIND_RUNTIME);
  capstan_runtime_streams streams{
      sizeof(capstan_runtime_streams), in[0], out[1], -1, 1, 0, resize[0], 0};
  std::string req = Json{{"containerId", id},
                         {"cmd", {"/bin/sh", "-c", "read l; echo got-$l; tty; stty size; exit 6"}}}
                        .dump();
  sdk::testing::FakeCall call;
  int32_t exit_code = -1;
  capstan_rc rc =
      rt->on_exec(plugin_->state(), call.get(), sdk::ToHostBuf(req), &streams, &exit_code);
  for (int fd : {in[0], in[1], out[1], resize[0], resize[1]}) close(fd);
  EXPECT_EQ(rc, CAPSTAN_RC_OK) << call.error();
  EXPECT_EQ(exit_code, 6);
  std::string got;
  char buf[256];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
  close(out[0]);
  EXPECT_NE(got.find("got-typed\r\n"), std::string::npos) << got;  // the terminal's line ends
  EXPECT_NE(got.find("/dev/pts/"), std::string::npos) << got;
  EXPECT_NE(got.find("12 50"), std::string::npos) << got;
}

// Attach (runtime minor 3) to the container's stdin through the shim's attach socket.
TEST_F(RuncRuntimeTest, AttachFeedsStdinOfAContainerCreatedWithStdinAndKeepsItOpen) {
  std::string sb = RunSandbox("attach");
  std::string id = Run(sb, "cat", {"/bin/cat"}, {{"stdin", true}});
  const auto* rt = plugin_->Vtable<capstan_runtime_v1>(CAPSTAN_KIND_RUNTIME);
  ASSERT_NE(rt->on_attach, nullptr);
  std::string req = Json{{"containerId", id}}.dump();
  for (const char* line : {"ping\n", "pong\n"}) {  // two sessions: stdin outlives the first
    int in[2];
    ASSERT_EQ(pipe(in), 0);
    ASSERT_EQ(write(in[1], line, 5), 5);
    close(in[1]);  // EOF ends the session once the bytes went through
    capstan_runtime_streams streams{sizeof(capstan_runtime_streams), in[0], -1, -1, 0, 0, -1, 0};
    sdk::testing::FakeCall call;
    EXPECT_EQ(rt->on_attach(plugin_->state(), call.get(), sdk::ToHostBuf(req), &streams),
              CAPSTAN_RC_OK)
        << call.error();
    close(in[0]);
    std::string want = std::string(" stdout F ") + std::string(line, 4);
    EXPECT_TRUE(WaitFor([&] { return Log("attach", "cat").find(want) != std::string::npos; }))
        << Log("attach", "cat");
  }
  EXPECT_EQ(Status(id)["state"], "CONTAINER_RUNNING");
  // A container without stdin has nothing to attach to.
  std::string plain = Run(sb, "plain", {"/bin/sleep", "60"});
  capstan_runtime_streams none{sizeof(capstan_runtime_streams), -1, -1, -1, 0, 0, -1, 0};
  sdk::testing::FakeCall call;
  std::string plain_req = Json{{"containerId", plain}}.dump();
  EXPECT_EQ(rt->on_attach(plugin_->state(), call.get(), sdk::ToHostBuf(plain_req), &none),
            CAPSTAN_RC_INVALID);
}

TEST_F(RuncRuntimeTest, StdinOnceClosesStdinWhenTheFirstAttachEnds) {
  std::string sb = RunSandbox("once");
  std::string id = Run(sb, "main", {"/bin/sh", "-c", "cat; echo stdin-closed; exit 5"},
                       {{"stdin", true}, {"stdinOnce", true}});
  const auto* rt = plugin_->Vtable<capstan_runtime_v1>(CAPSTAN_KIND_RUNTIME);
  int in[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(write(in[1], "only\n", 5), 5);
  close(in[1]);
  capstan_runtime_streams streams{sizeof(capstan_runtime_streams), in[0], -1, -1, 0, 0, -1, 0};
  sdk::testing::FakeCall call;
  std::string req = Json{{"containerId", id}}.dump();
  EXPECT_EQ(rt->on_attach(plugin_->state(), call.get(), sdk::ToHostBuf(req), &streams),
            CAPSTAN_RC_OK)
      << call.error();
  close(in[0]);
  ASSERT_TRUE(WaitFor([&] { return Exited(id); }));
  EXPECT_EQ(Status(id)["exitCode"], 5);
  std::string log = Log("once", "main");
  EXPECT_NE(log.find("stdout F only\n"), std::string::npos) << log;
  EXPECT_NE(log.find("stdout F stdin-closed\n"), std::string::npos) << log;
}

TEST_F(RuncRuntimeTest, AttachToATtyContainerResizesItsTerminalAndLogsTheTerminalOutput) {
  std::string sb = RunSandbox("ttyattach");
  std::string id =
      Run(sb, "main", {"/bin/sh", "-c", "while read l; do echo line-$l; stty size; done"},
          {{"stdin", true}, {"stdinOnce", true}, {"tty", true}});
  const auto* rt = plugin_->Vtable<capstan_runtime_v1>(CAPSTAN_KIND_RUNTIME);
  int in[2], resize[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(resize), 0);
  capstan_runtime_streams streams{
      sizeof(capstan_runtime_streams), in[0], -1, -1, 1, 0, resize[0], 0};
  std::string req = Json{{"containerId", id}}.dump();
  capstan_rc rc = -1;
  std::thread attach([&] {
    sdk::testing::FakeCall call;
    rc = rt->on_attach(plugin_->state(), call.get(), sdk::ToHostBuf(req), &streams);
  });
  ASSERT_EQ(write(resize[1], "77 21\n", 6), 6);
  // Each line makes the shell print the size it sees; the first may predate the resize.
  EXPECT_TRUE(WaitFor([&] {
    if (write(in[1], "x\n", 2) != 2) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return Log("ttyattach", "main").find("21 77") != std::string::npos;
  })) << Log("ttyattach", "main");
  close(in[1]);
  attach.join();
  EXPECT_EQ(rc, CAPSTAN_RC_OK);
  for (int fd : {in[0], resize[0], resize[1]}) close(fd);
  // The terminal's output, as stdout records; a terminal's unfinished line is logged at once
  // as a partial record, so the text is the records joined.
  std::string log = Log("ttyattach", "main");
  std::string text;
  std::istringstream records(log);
  for (std::string rec; std::getline(records, rec);) {
    std::istringstream fields(rec);
    std::string stamp, stream, tag;
    fields >> stamp >> stream >> tag;
    EXPECT_EQ(stream, "stdout") << rec;
    text += rec.substr(std::min(rec.size(), stamp.size() + stream.size() + tag.size() + 3));
    if (tag == "F") text += "\n";
  }
  EXPECT_NE(text.find("line-x\r\n"), std::string::npos) << log;
  // With a terminal, stdinOnce does not close stdin (as containerd): the shell still runs.
  EXPECT_EQ(Status(id)["state"], "CONTAINER_RUNNING");
}

TEST_F(RuncRuntimeTest, LongLinesBecomePartialRecordsAndRotatedLogsAreReopened) {
  std::string sb = RunSandbox("logs");
  std::string id = Run(sb, "main",
                       {"/bin/sh", "-c",
                        "head -c 10000 /dev/zero | tr '\\0' x; echo; echo first; "
                        "while [ ! -e /tmp/go ]; do sleep 0.05; done; echo second; sleep 60"});
  ASSERT_TRUE(WaitFor([&] { return Log("logs", "main").find("F first") != std::string::npos; }));
  std::string log = Log("logs", "main");
  EXPECT_NE(log.find(" stdout P xxxx"), std::string::npos);
  EXPECT_EQ(log.find("F first"), log.rfind("F first"));
  fs::path path = root_ / "logs/logs/main/0.log";
  fs::rename(path, path.string() + ".1");
  Call(&Rt::on_reopen_container_log, {{"containerId", id}});
  Exec(id, {"touch", "/tmp/go"});
  ASSERT_TRUE(WaitFor([&] { return Log("logs", "main").find("F second") != std::string::npos; }));
  EXPECT_EQ(ReadFile(path.string() + ".1").find("second"), std::string::npos);
}

TEST_F(RuncRuntimeTest, RestartedPluginAdoptsSandboxesAndRunningContainers) {
  std::string sb = RunSandbox("adopt");
  std::string id =
      Run(sb, "ticker",
          {"/bin/sh", "-c", "trap 'exit 7' TERM; while true; do echo tick; sleep 0.05; done"});
  ASSERT_TRUE(WaitFor([&] { return Log("adopt", "ticker").find("tick") != std::string::npos; }));
  // The log writer runs in its own session outside this process's family, so it outlives the host.
  Json record = Json::parse(ReadFile(plugin_->plugin().BundleDir(id) + "/container.json"));
  std::string shim_pid = std::to_string(record["shimPid"].get<int>());
  std::string stat = ReadFile("/proc/" + shim_pid + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string state, ppid, pgrp, sid;
  fields >> state >> ppid >> pgrp >> sid;
  EXPECT_NE(ppid, std::to_string(getpid()));
  EXPECT_NE(sid, std::to_string(getsid(0)));
  Restart();
  Json sandboxes = Call(&Rt::on_list_pod_sandboxes, Json::object())["items"];
  ASSERT_EQ(sandboxes.size(), 1u);
  EXPECT_EQ(sandboxes[0]["id"], sb);
  EXPECT_EQ(sandboxes[0]["metadata"]["name"], "adopt");
  Json running = Call(&Rt::on_list_containers,
                      {{"filter", {{"state", {{"state", "CONTAINER_RUNNING"}}}}}})["containers"];
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0]["id"], id);
  size_t before = Log("adopt", "ticker").size();
  EXPECT_TRUE(WaitFor([&] { return Log("adopt", "ticker").size() > before; }));
  Call(&Rt::on_stop_container, {{"containerId", id}, {"timeout", 10}});
  EXPECT_EQ(Status(id)["exitCode"], 7);
}

TEST_F(RuncRuntimeTest, TheShimIsTheSmallExecutableNotACopyOfTheHost) {
  std::string sb = RunSandbox("shimexe");
  std::string id = Run(sb, "main", {"/bin/sh", "-c", "echo up; sleep 30"});
  ASSERT_TRUE(WaitFor([&] { return Log("shimexe", "main").find("F up") != std::string::npos; }));
  Json record = Json::parse(ReadFile(plugin_->plugin().BundleDir(id) + "/container.json"));
  std::string proc = "/proc/" + std::to_string(record["shimPid"].get<int>());
  EXPECT_EQ(fs::read_symlink(proc + "/exe"), fs::path(CAPSTAN_SHIM_PATH));
  EXPECT_EQ(ReadFile(proc + "/comm"), "capstan-shim\n");
  // Only the descriptors it was handed survive the exec (logs, pipes; no stdin here).
  size_t fds = 0;
  for (auto it = fs::directory_iterator(proc + "/fd"); it != fs::directory_iterator(); ++it) ++fds;
  EXPECT_LE(fds, 4u);
  Call(&Rt::on_stop_container, {{"containerId", id}, {"timeout", 0}});
}

TEST_F(RuncRuntimeTest, AShimPathThatIsNotExecutableIsReportedByHealthAndCreate) {
  config_ = Json{{"stateDir", (root_ / "state").string()},
                 {"cgroupRoot", kCgroupRoot},
                 {"shimPath", (root_ / "no-such-shim").string()}}
                .dump();
  Restart();
  Outcome health = plugin_->Health();
  EXPECT_EQ(health.rc, CAPSTAN_RC_UNAVAILABLE);
  EXPECT_NE(health.error.find("no-such-shim is not executable"), std::string::npos) << health.error;
  std::string sb = RunSandbox("noshim");
  Json config = {{"metadata", {{"name", "main"}, {"attempt", 0}}},
                 {"image", {{"image", "busybox:test"}}},
                 {"rootfs", (root_ / "rootfs").string()},
                 {"command", {"/bin/true"}},
                 {"logPath", "main/0.log"}};
  Outcome create = plugin_->Runtime(&Rt::on_create_container,
                                    Json{{"podSandboxId", sb}, {"config", config}}.dump());
  EXPECT_NE(create.rc, 0);
  EXPECT_NE(create.error.find("no-such-shim"), std::string::npos) << create.error;
  EXPECT_TRUE(Call(&Rt::on_list_containers, Json::object())["containers"].empty());
}

TEST_F(RuncRuntimeTest, ARelativeShimPathIsRejectedAtInit) {
  TestPlugin<RuncRuntime> bad(
      host_, Json{{"stateDir", (root_ / "state").string()}, {"shimPath", "capstan-shim"}}.dump());
  EXPECT_FALSE(bad.init().ok());
  EXPECT_NE(bad.init().error.find("shimPath must be absolute"), std::string::npos);
}

TEST_F(RuncRuntimeTest, MemoryLimitLandsInTheContainersCgroup) {
  std::string sb = RunSandbox("mem");
  constexpr int64_t kLimit = 64 << 20;
  std::string id = Run(sb, "main", {"/bin/sleep", "60"},
                       {{"linux", {{"resources", {{"memoryLimitInBytes", kLimit}}}}}});
  std::string pid = ReadFile(plugin_->plugin().BundleDir(id) + "/init.pid");
  std::ifstream cgroups("/proc/" + pid + "/cgroup");
  std::string memory_dir;
  for (std::string line; std::getline(cgroups, line);) {
    size_t a = line.find(':');
    size_t b = line.find(':', a + 1);
    if (line.substr(a + 1, b - a - 1) == "memory") memory_dir = line.substr(b + 1);
    if (line.substr(a + 1, b - a - 1).empty() && memory_dir.empty())
      memory_dir = line.substr(b + 1);
  }
  ASSERT_NE(memory_dir.find(std::string(kCgroupRoot) + "/" + sb + "/" + id), std::string::npos)
      << memory_dir;
  std::string v1 = "/sys/fs/cgroup/memory" + memory_dir + "/memory.limit_in_bytes";
  std::string v2 = "/sys/fs/cgroup" + memory_dir + "/memory.max";
  std::string limit = ReadFile(fs::exists(v1) ? v1 : v2);
  EXPECT_EQ(std::stoll(limit), kLimit);
}

// Not asserted: prints the median time of CreateContainer + StartContainer.
// StartContainer hands over through runc's exec FIFO (exec_fifo.h) instead of `runc start`:
// runc itself must then see the container running, and its program must run.
TEST_F(RuncRuntimeTest, StartedContainerIsRunningForRuncItself) {
  std::string sb = RunSandbox("fifo");
  std::string id = Create(sb, "main", {"/bin/sh", "-c", "echo started; exec sleep 30"});
  fs::path fifo = root_ / "state/runc" / id / "exec.fifo";
  ASSERT_TRUE(fs::exists(fifo));  // created, waiting
  Call(&Rt::on_start_container, {{"containerId", id}});
  EXPECT_FALSE(fs::exists(fifo));
  CommandResult state;
  ASSERT_TRUE(
      RunCommand({kRunc, "--root", (root_ / "state/runc").string(), "state", id}, {}, &state).ok());
  EXPECT_EQ(Json::parse(state.out).value("status", ""), "running") << state.out << state.err;
  EXPECT_EQ(Status(id)["state"], "CONTAINER_RUNNING");
  EXPECT_TRUE(
      WaitFor([&] { return Log("fifo", "main").find("stdout F started") != std::string::npos; }));
}

TEST_F(RuncRuntimeTest, StartingAContainerWhoseInitDiedFails) {
  std::string sb = RunSandbox("dead");
  std::string id = Create(sb, "main", {"/bin/sleep", "30"});
  pid_t init = std::stoi(ReadFile(plugin_->plugin().BundleDir(id) + "/init.pid"));
  ASSERT_EQ(kill(init, SIGKILL), 0);
  Outcome o = plugin_->Runtime(&Rt::on_start_container, Json{{"containerId", id}}.dump());
  EXPECT_NE(o.rc, 0);
  EXPECT_NE(Status(id)["state"], "CONTAINER_RUNNING");
}

TEST_F(RuncRuntimeTest, MeasuresCreateAndStartLatency) {
  std::string sb = RunSandbox("bench");
  std::vector<double> ms;
  for (int i = 0; i < 10; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    std::string id = Run(sb, "c" + std::to_string(i), {"/bin/sleep", "30"});
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    EXPECT_EQ(Status(id)["state"], "CONTAINER_RUNNING");
  }
  std::sort(ms.begin(), ms.end());
  double median = (ms[4] + ms[5]) / 2;
  RecordProperty("create_start_median_ms", std::to_string(median));
  std::printf("runc create+start: median %.1f ms, min %.1f ms, max %.1f ms\n", median, ms.front(),
              ms.back());
}

}  // namespace
}  // namespace capstan::plugins::runc_runtime
