// Integration tests for exec and attach over plain SPDY/3.1 (core/agent/server/spdy_exec.h): a
// real AgentServer on 127.0.0.1:0 whose exec function is a stub writing to the descriptors it
// is given, whose attach stub turns stdin lines into log records, and whose pods directory
// holds one CRI log, driven by the SPDY test client (spdy_test_client.h) as kubectl 1.20
// drives it.
#include "core/agent/server/spdy_exec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/agent/server/agent_server.h"
#include "tests/core/agent/server/spdy_test_client.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::agent::server {
namespace {

using apiserver::testing::TestPki;
using nlohmann::json;
using testing::SpdyMode;
using testing::SpdyTestClient;
using testing::StreamResult;

void WriteAll(int fd, const std::string& s) {
  if (fd >= 0) (void)!write(fd, s.data(), s.size());
}

// `cmd[0]` is printed on stdout, "err" on stderr, stdin is copied to stdout until EOF, and
// the exit code is `cmd[1]` (0 when absent). With a terminal, the first size line comes first.
Result<int32_t> StubExec(const ExecCall& c) {
  if (c.container_id != "c1") return NotFoundError("container " + c.container_id);
  if (c.tty && c.resize_fd >= 0) {
    std::string line;
    char ch = 0;
    while (read(c.resize_fd, &ch, 1) == 1 && ch != '\n') line.push_back(ch);
    WriteAll(c.stdout_fd, "size " + line + "\n");
  }
  WriteAll(c.stdout_fd, c.cmd[0] + "\n");
  WriteAll(c.stderr_fd, "err\n");
  char buf[256];
  ssize_t n;
  // A terminal's stdin never ends (upstream keeps it open), so only pipes are copied.
  while (!c.tty && c.stdin_fd >= 0 && (n = read(c.stdin_fd, buf, sizeof(buf))) > 0) {
    WriteAll(c.stdout_fd, std::string(buf, static_cast<size_t>(n)));
  }
  return c.cmd.size() > 1 ? std::stoi(c.cmd[1]) : 0;
}

// The runtime's attach as a container running `while read l; do echo got:$l; done` sees it:
// every stdin line becomes a stdout record of the log, until stdin ends.
Result<int32_t> StubAttach(const ExecCall& c, const std::filesystem::path& log) {
  if (c.container_id != "c1" || !c.cmd.empty() || c.stdout_fd >= 0 || c.stdin_fd < 0) {
    return InvalidError("attach gets stdin only");
  }
  std::string carry;
  char buf[256];
  ssize_t n;
  while ((n = read(c.stdin_fd, buf, sizeof(buf))) > 0) {
    carry.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = carry.find('\n')) != std::string::npos) {
      std::ofstream(log, std::ios::app)
          << "2026-01-02T03:04:07.000000000Z stdout F got:" << carry.substr(0, nl) << "\n";
      carry.erase(0, nl + 1);
    }
  }
  return 0;
}

class SpdyExecTest : public ::testing::Test {
 protected:
  // Whether the server gets the runtime's attach (ExecSessionParams::attach_stdin).
  virtual bool WithAttach() const { return true; }

  void SetUp() override {
    // A session still writing after the client closed its socket must not kill the test
    // (the capstan binary ignores SIGPIPE too).
    std::signal(SIGPIPE, SIG_IGN);
    AgentServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.tls = pki_.TlsConfig(true);
    pods_dir_ = std::filesystem::temp_directory_path() /
                ("capstan-spdy-exec-" + std::to_string(getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(pods_dir_ / "u1/logs/main");
    AppendLog(0, "2026-01-02T03:04:05.000000000Z stdout F before the attach\n");
    o.pods_dir = pods_dir_.string();
    o.follow_poll = std::chrono::milliseconds(20);
    o.get_pod = [](const std::string& ns, const std::string& name) {
      if (ns != "default" || name != "web") return std::shared_ptr<const json>();
      return std::make_shared<const json>(json{
          {"metadata", {{"name", "web"}, {"namespace", "default"}, {"uid", "u1"}}},
          {"spec", {{"containers", {{{"name", "main"}, {"stdin", true}}}}}},
          {"status",
           {{"phase", "Running"},
            {"containerStatuses",
             {{{"name", "main"}, {"containerID", "fake://c1"}, {"state", {{"running", {}}}}}}}}}});
    };
    o.exec = StubExec;
    if (WithAttach()) {
      o.attach_stdin = [log = pods_dir_ / "u1/logs/main/0.log"](const ExecCall& c) {
        return StubAttach(c, log);
      };
    }
    Result<std::unique_ptr<AgentServer>> s = AgentServer::Start(std::move(o));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }

  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(pods_dir_);
  }

  void AppendLog(int attempt, const std::string& data) {
    std::ofstream(pods_dir_ / "u1/logs/main" / (std::to_string(attempt) + ".log"), std::ios::app)
        << data;
  }

  TestPki pki_;
  std::filesystem::path pods_dir_;
  std::unique_ptr<AgentServer> server_;
};

struct ExecCase {
  const char* name;
  std::string offered;  // X-Stream-Protocol-Version
  std::string exit_code;
  std::string protocol;    // chosen
  std::string error_part;  // expected in the error stream ("" = empty stream)
};

TEST_F(SpdyExecTest, RunsTheCommandAndEndsWithTheProtocolsStatus) {
  const std::vector<ExecCase> cases = {
      {"v4 success", "v4.channel.k8s.io", "0", "v4.channel.k8s.io", R"("status":"Success")"},
      {"v4 exit 3", "v4.channel.k8s.io", "3", "v4.channel.k8s.io",
       R"({"message":"3","reason":"ExitCode"})"},
      {"v4 preferred over v2", "v2.channel.k8s.io, v4.channel.k8s.io", "0", "v4.channel.k8s.io",
       "Success"},
      {"v2 success", "v2.channel.k8s.io", "0", "v2.channel.k8s.io", ""},
      {"v1 exit 5", "channel.k8s.io", "5", "channel.k8s.io", "non-zero exit code"},
  };
  for (const ExecCase& tc : cases) {
    SCOPED_TRACE(tc.name);
    SpdyTestClient c(server_->port(), pki_.pki().admin, SpdyMode::kPlain,
                     "/exec/default/web/main?command=hello&command=" + tc.exit_code +
                         "&stdin=true&stdout=true&stderr=true",
                     tc.offered);
    ASSERT_EQ(c.status(), 101);
    EXPECT_EQ(c.chosen_protocol(), tc.protocol);
    c.OpenStream(1, {{"streamtype", "error"}}, false);
    c.OpenStream(3, {{"streamtype", "stdin"}}, false);
    c.OpenStream(5, {{"streamtype", "stdout"}}, false);
    c.OpenStream(7, {{"streamtype", "stderr"}}, false);
    c.Send(SpdyDataFrame(3, "from-stdin\n", true));
    std::map<uint32_t, StreamResult> s;
    ASSERT_TRUE(c.ReadUntil(&s, [&] { return s[1].fin && s[5].fin && s[7].fin; }));
    EXPECT_EQ(s[5].data, "hello\nfrom-stdin\n");
    EXPECT_EQ(s[7].data, "err\n");
    if (tc.error_part.empty()) {
      EXPECT_EQ(s[1].data, "");
    } else {
      EXPECT_NE(s[1].data.find(tc.error_part), std::string::npos) << s[1].data;
    }
    ASSERT_TRUE(c.ReadUntil(&s, [&] { return c.goaway(); }));
  }
}

TEST_F(SpdyExecTest, ATerminalSessionPassesResizesToTheRuntimeAndHasNoStderr) {
  SpdyTestClient c(server_->port(), pki_.pki().admin, SpdyMode::kPlain,
                   "/exec/default/web/main?command=hello&stdin=true&stdout=true&tty=true",
                   "v4.channel.k8s.io");
  ASSERT_EQ(c.status(), 101);
  c.OpenStream(1, {{"streamtype", "error"}}, false);
  c.OpenStream(3, {{"streamtype", "stdin"}}, false);
  c.OpenStream(5, {{"streamtype", "stdout"}}, false);
  c.OpenStream(7, {{"streamtype", "resize"}}, false);
  c.Send(SpdyDataFrame(7,
                       R"({"Width":100,"Height":30})"
                       "\n",
                       false));
  std::map<uint32_t, StreamResult> s;
  ASSERT_TRUE(c.ReadUntil(&s, [&] { return s[1].fin && s[5].fin; }));
  EXPECT_EQ(s[5].data, "size 100 30\nhello\n");
  EXPECT_NE(s[1].data.find(R"("status":"Success")"), std::string::npos) << s[1].data;
  ASSERT_TRUE(c.ReadUntil(&s, [&] { return c.goaway(); }));
}

TEST_F(SpdyExecTest, AttachStreamsWhatTheContainerWritesAfterTheUpgradeUntilItEnds) {
  SpdyTestClient c(server_->port(), pki_.pki().admin, SpdyMode::kPlain,
                   "/attach/default/web/main?stdout=true&stderr=true", "v4.channel.k8s.io");
  ASSERT_EQ(c.status(), 101);
  c.OpenStream(1, {{"streamtype", "error"}}, false);
  c.OpenStream(3, {{"streamtype", "stdout"}}, false);
  c.OpenStream(5, {{"streamtype", "stderr"}}, false);
  AppendLog(0,
            "2026-01-02T03:04:06.000000000Z stdout F after\n"
            "2026-01-02T03:04:06.000000000Z stderr F oops\n");
  std::map<uint32_t, StreamResult> s;
  ASSERT_TRUE(c.ReadUntil(&s, [&] { return s[3].data == "after\n" && s[5].data == "oops\n"; }));
  AppendLog(1, "");  // the container restarted: this run ended
  ASSERT_TRUE(c.ReadUntil(&s, [&] { return s[1].fin && s[3].fin && s[5].fin; }));
  EXPECT_EQ(s[3].data, "after\n");  // nothing from before the attach
  EXPECT_NE(s[1].data.find(R"("status":"Success")"), std::string::npos) << s[1].data;
  ASSERT_TRUE(c.ReadUntil(&s, [&] { return c.goaway(); }));
}

TEST_F(SpdyExecTest, AttachPassesStdinToTheRuntimeAndEndsWithIt) {
  // The container keeps stdin open but has no stdinOnce: the session ends with its stdin, after
  // the output the log has by then (the stub wrote it before returning).
  SpdyTestClient c(server_->port(), pki_.pki().admin, SpdyMode::kPlain,
                   "/attach/default/web/main?stdin=true&stdout=true&stderr=true",
                   "v4.channel.k8s.io");
  ASSERT_EQ(c.status(), 101);
  c.OpenStream(1, {{"streamtype", "error"}}, false);
  c.OpenStream(3, {{"streamtype", "stdin"}}, false);
  c.Send(SpdyDataFrame(3, "early\n", false));  // before the last stream: kept until it opens
  c.OpenStream(5, {{"streamtype", "stdout"}}, false);
  c.OpenStream(7, {{"streamtype", "stderr"}}, false);
  std::map<uint32_t, StreamResult> s;
  ASSERT_TRUE(c.ReadUntil(&s, [&] { return s[5].data == "got:early\n"; })) << s[5].data;
  c.Send(SpdyDataFrame(3, "ping\n", true));
  ASSERT_TRUE(c.ReadUntil(&s, [&] { return s[1].fin && s[5].fin; }));
  EXPECT_EQ(s[5].data, "got:early\ngot:ping\n");
  EXPECT_NE(s[1].data.find(R"("status":"Success")"), std::string::npos) << s[1].data;
}

class SpdyExecWithoutAttachTest : public SpdyExecTest {
 protected:
  bool WithAttach() const override { return false; }
};

TEST_F(SpdyExecWithoutAttachTest, RefusesAttachToStdinWithoutTheRuntimesAttach) {
  SpdyTestClient attach(server_->port(), pki_.pki().admin, SpdyMode::kPlain,
                        "/attach/default/web/main?stdin=true&stdout=true", "v4.channel.k8s.io");
  EXPECT_EQ(attach.status(), 400);
}

TEST_F(SpdyExecTest, RefusesUnsupportedProtocolsAndExecWithoutACommandBeforeUpgrading) {
  SpdyTestClient v9(server_->port(), pki_.pki().admin, SpdyMode::kPlain,
                    "/exec/default/web/main?command=x&stdout=true", "v9.channel.k8s.io");
  EXPECT_EQ(v9.status(), 400);
  SpdyTestClient no_command(server_->port(), pki_.pki().admin, SpdyMode::kPlain,
                            "/exec/default/web/main?stdout=true", "v4.channel.k8s.io");
  EXPECT_EQ(no_command.status(), 400);
}

}  // namespace
}  // namespace capstan::agent::server
