// Integration tests for the node agent's HTTPS API (agent_server.h): a real AgentServer on
// 127.0.0.1:0 with certificates from a test CA, pods from an in-memory lookup, log files
// written by the test, and exec/attach over a Beast WebSocket client against the real
// runtime/fake.so (whose on_exec simulates echo, cat, exit codes and stderr).
#include "core/agent/server/agent_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "core/agent/runtime_client.h"
#include "core/plugin/registry.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::agent::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace http = boost::beast::http;
using apiserver::testing::TestClient;
using apiserver::testing::TestPki;
using nlohmann::json;

std::string Rec(const std::string& stream, const std::string& msg) {
  return "2026-01-02T03:04:05.000000000Z " + stream + " F " + msg + "\n";
}

// What one WebSocket exec/attach session produced.
struct WsResult {
  bool upgraded = false;
  std::string protocol;
  std::map<int, std::string> channels;  // payload per channel
  beast::error_code end;                // how reading ended (websocket::error::closed)
  int close_code = 0;
};

class AgentServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("capstan-agent-server-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    pki::CertSpec spec;
    spec.common_name = "alice";
    spec.organizations = {"developers"};
    spec.usage = pki::CertUsage::kClient;
    Result<pki::CertKeyPair> alice = pki::IssueCert(pki_.pki().ca, spec);
    ASSERT_TRUE(alice.ok());
    alice_ = *alice;
    LoadRuntime();
    container_id_ = StartFakeContainer();
    SetPod(0, json{{"running", {{"startedAt", "2026-01-02T03:04:05Z"}}}});

    AgentServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.tls = pki_.TlsConfig(true);
    o.pods_dir = dir_.string();
    o.follow_poll = std::chrono::milliseconds(20);
    o.get_pod = [this](const std::string& ns, const std::string& name) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = pods_.find(ns + "/" + name);
      return it == pods_.end() ? nullptr : it->second;
    };
    o.exec = [rt = runtime_.get()](const ExecCall& c) {
      return rt->Exec(c.container_id, c.cmd,
                      {c.stdin_fd, c.stdout_fd, c.stderr_fd, c.tty, c.resize_fd}, c.cancel);
    };
    // The test's stub when set, else the fake runtime's (which has no on_attach).
    o.attach_stdin = [this](const ExecCall& c) -> Result<int32_t> {
      std::function<Result<int32_t>(const ExecCall&)> stub;
      {
        std::lock_guard<std::mutex> lock(mu_);
        stub = attach_stub_;
      }
      if (stub) return stub(c);
      CAPSTAN_RETURN_IF_ERROR(
          runtime_->Attach(c.container_id, {c.stdin_fd, -1, -1, c.tty, c.resize_fd}, c.cancel));
      return 0;
    };
    Result<std::unique_ptr<AgentServer>> s = AgentServer::Start(std::move(o));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }

  void TearDown() override {
    server_.reset();
    runtime_.reset();
    instance_.reset();
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }

  void LoadRuntime() {
    json doc = {
        {"apiVersion", "capstan.io/v1alpha1"},
        {"kind", "PluginConfiguration"},
        {"pluginDirs", json::array({CAPSTAN_TEST_PLUGIN_DIR})},
        {"chains",
         {{"runtime",
           {{"plugins", json::array({{{"name", "fake"}, {"library", "runtime/fake.so"}}})}}}}}};
    Result<plugin::PluginConfiguration> config = plugin::ParsePluginConfiguration(doc, "test", "/");
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    registry_ = plugin::Registry::Load(*config);
    ASSERT_TRUE(registry_->status().ok()) << registry_->status().ToString();
    instance_ = registry_->chain(CAPSTAN_KIND_RUNTIME)->entries[0].instance;
    Result<std::unique_ptr<RuntimeClient>> rc = RuntimeClient::Create(instance_);
    ASSERT_TRUE(rc.ok());
    runtime_ = std::move(*rc);
  }

  std::string StartFakeContainer() {
    Result<json> sb = runtime_->Call(
        "RunPodSandbox", {{"config", {{"metadata", {{"name", "web"}, {"namespace", "default"}}}}}});
    EXPECT_TRUE(sb.ok());
    Result<json> c = runtime_->Call(
        "CreateContainer",
        {{"podSandboxId", (*sb)["podSandboxId"]},
         {"config", {{"metadata", {{"name", "main"}}}, {"image", {{"image", "app"}}}}}});
    EXPECT_TRUE(c.ok());
    std::string id = (*c)["containerId"];
    EXPECT_TRUE(runtime_->Call("StartContainer", {{"containerId", id}}).ok());
    return id;
  }

  // Pod default/web (uid "uid-1") with containers main and side; main's status as given.
  void SetPod(int restart_count, const json& state, const json& last_state = json::object()) {
    json pod = {{"metadata", {{"name", "web"}, {"namespace", "default"}, {"uid", "uid-1"}}},
                {"spec", {{"containers", {main_spec_, {{"name", "side"}}}}}},
                {"status",
                 {{"phase", "Running"},
                  {"containerStatuses",
                   {{{"name", "main"},
                     {"containerID", "fake://" + container_id_},
                     {"restartCount", restart_count},
                     {"state", state},
                     {"lastState", last_state}}}}}}};
    std::lock_guard<std::mutex> lock(mu_);
    pods_["default/web"] = std::make_shared<const json>(std::move(pod));
  }

  void AppendLog(int attempt, const std::string& data, const std::string& container = "main") {
    std::filesystem::path d = dir_ / "uid-1" / "logs" / container;
    std::filesystem::create_directories(d);
    std::ofstream(d / (std::to_string(attempt) + ".log"), std::ios::app | std::ios::binary) << data;
  }

  Result<apiserver::testing::Response> Get(const std::string& target,
                                           const pki::CertKeyPair* cert) {
    TestClient client(server_->port(), pki_.pki().ca.cert_pem, cert);
    return client.Request(http::verb::get, target);
  }

  // Runs one WebSocket session to its end, sending `input` messages (channel byte included)
  // right after the handshake.
  WsResult Ws(const std::string& target, const pki::CertKeyPair* cert,
              const std::vector<std::string>& input = {},
              const std::string& protocol = "v5.channel.k8s.io",
              const std::function<void()>& after_handshake = nullptr) {
    WsResult out;
    asio::io_context ioc;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_verify_mode(asio::ssl::verify_none);
    if (cert != nullptr) {
      ctx.use_certificate(asio::buffer(cert->cert_pem), asio::ssl::context::pem);
      ctx.use_private_key(asio::buffer(cert->key_pem), asio::ssl::context::pem);
    }
    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, ctx);
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(20));
    beast::get_lowest_layer(ws).connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    ws.next_layer().handshake(asio::ssl::stream_base::client);
    ws.set_option(websocket::stream_base::decorator([protocol](websocket::request_type& req) {
      req.set(http::field::sec_websocket_protocol, protocol);
    }));
    websocket::response_type res;
    beast::error_code ec;
    ws.handshake(res, "127.0.0.1", target, ec);
    if (ec) return out;
    out.upgraded = true;
    out.protocol = std::string(res[http::field::sec_websocket_protocol]);
    ws.binary(true);
    if (after_handshake) after_handshake();
    for (const std::string& m : input) ws.write(asio::buffer(m));
    for (;;) {
      beast::flat_buffer buf;
      ws.read(buf, ec);
      if (ec) {
        out.end = ec;
        out.close_code = ws.reason().code;
        return out;
      }
      std::string msg = beast::buffers_to_string(buf.data());
      if (!msg.empty()) out.channels[static_cast<uint8_t>(msg[0])] += msg.substr(1);
    }
  }

  // The status of a WebSocket upgrade request that the server refuses (a plain HTTP answer).
  int RefusedUpgradeStatus(const std::string& target, const pki::CertKeyPair* cert,
                           const std::string& protocol = "v5.channel.k8s.io") {
    TestClient client(server_->port(), pki_.pki().ca.cert_pem, cert);
    Result<apiserver::testing::Response> r =
        client.Request(http::verb::get, target, "",
                       {{"Connection", "Upgrade"},
                        {"Upgrade", "websocket"},
                        {"Sec-WebSocket-Version", "13"},
                        {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                        {"Sec-WebSocket-Protocol", protocol}});
    return r.ok() ? r->result_int() : -1;
  }

  static std::string ExecTarget(const std::string& query) {
    return "/exec/default/web/main?" + query;
  }

  TestPki pki_;
  pki::CertKeyPair alice_;
  const pki::CertKeyPair* admin() const { return &pki_.pki().admin; }
  std::filesystem::path dir_;
  std::unique_ptr<plugin::Registry> registry_;
  std::shared_ptr<plugin::PluginInstance> instance_;
  std::unique_ptr<RuntimeClient> runtime_;
  std::string container_id_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const json>> pods_;
  json main_spec_ = {{"name", "main"}};                          // SetPod's spec of container main
  std::function<Result<int32_t>(const ExecCall&)> attach_stub_;  // guarded by mu_
  std::mutex exit_mu_;
  std::thread exit_;  // a container's delayed exit; guarded by exit_mu_
  std::unique_ptr<AgentServer> server_;
};

// Copies stdin lines to the log as "got:<line>" records (a container running
// `while read l; do echo got:$l; done`), then runs `at_eof`.
Result<int32_t> EchoToLog(const ExecCall& c, const std::function<void(const std::string&)>& log,
                          const std::function<void()>& at_eof) {
  if (!c.cmd.empty() || c.stdout_fd >= 0 || c.stdin_fd < 0) {
    return InvalidError("attach gets stdin only");
  }
  std::string carry;
  char buf[256];
  ssize_t n;
  while ((n = read(c.stdin_fd, buf, sizeof(buf))) > 0) {
    carry.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = carry.find('\n')) != std::string::npos) {
      log(Rec("stdout", "got:" + carry.substr(0, nl)));
      carry.erase(0, nl + 1);
    }
  }
  if (at_eof) at_eof();
  return 0;
}

TEST_F(AgentServerTest, HealthzNeedsNoCertificate) {
  Result<apiserver::testing::Response> r = Get("/healthz", nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result_int(), 200);
  EXPECT_EQ(r->body(), "ok");
}

TEST_F(AgentServerTest, OnlyVerifiedSystemMastersCertificatesGetIn) {
  AppendLog(0, Rec("stdout", "hello"));
  struct Case {
    const char* name;
    const pki::CertKeyPair* cert;
    int want;
  };
  const Case cases[] = {{"no certificate", nullptr, 401},
                        {"not system:masters", &alice_, 403},
                        {"system:masters", admin(), 200}};
  for (const Case& c : cases) {
    Result<apiserver::testing::Response> r = Get("/containerLogs/default/web/main", c.cert);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status().ToString();
    EXPECT_EQ(r->result_int(), c.want) << c.name;
    if (c.want != 200) {
      json body = json::parse(r->body(), nullptr, false);
      EXPECT_EQ(body.value("kind", ""), "Status") << c.name;
      EXPECT_EQ(body.value("code", 0), c.want) << c.name;
    }
  }
  EXPECT_EQ(RefusedUpgradeStatus(ExecTarget("command=echo&stdout=true"), nullptr), 401);
  EXPECT_EQ(RefusedUpgradeStatus(ExecTarget("command=echo&stdout=true"), &alice_), 403);
}

TEST_F(AgentServerTest, LogsAnswerWithDecodedTextAndKubeletErrors) {
  AppendLog(0, Rec("stdout", "one") + Rec("stderr", "two") + Rec("stdout", "three"));
  struct Case {
    const char* target;
    int status;
    const char* body;  // exact for 200, a substring otherwise
  };
  const Case cases[] = {
      {"/containerLogs/default/web/main", 200, "one\ntwo\nthree\n"},
      {"/containerLogs/default/web/main?tailLines=1", 200, "three\n"},
      {"/containerLogs/default/web/main?limitBytes=5", 200, "one\nt"},
      {"/containerLogs/default/web/main?tailLines=1&timestamps=true", 200,
       "2026-01-02T03:04:05.000000000Z three\n"},
      {"/containerLogs/default/nope/main", 404, "pods \\\"nope\\\" not found"},
      {"/containerLogs/default/web/nope", 404, "container \\\"nope\\\" not found"},
      {"/containerLogs/default/web/side", 400, "is waiting to start"},
      {"/containerLogs/default/web/main?tailLines=-2", 400, "tailLines"},
      {"/containerLogs/default/web/main?previous=true", 400,
       "previous terminated container \\\"main\\\" in pod \\\"web\\\" not found"},
      {"/containerLogs/default/web", 404, "could not find"},
  };
  for (const Case& c : cases) {
    Result<apiserver::testing::Response> r = Get(c.target, admin());
    ASSERT_TRUE(r.ok()) << c.target << ": " << r.status().ToString();
    EXPECT_EQ(r->result_int(), c.status) << c.target;
    if (c.status == 200) {
      EXPECT_EQ(r->body(), c.body) << c.target;
    } else {
      EXPECT_THAT(r->body(), ::testing::HasSubstr(c.body)) << c.target;
    }
  }
}

TEST_F(AgentServerTest, PreviousReadsTheEarlierAttempt) {
  AppendLog(0, Rec("stdout", "first run"));
  AppendLog(1, Rec("stdout", "second run"));
  SetPod(1, json{{"running", json::object()}}, json{{"terminated", {{"exitCode", 1}}}});
  Result<apiserver::testing::Response> r = Get("/containerLogs/default/web/main", admin());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body(), "second run\n");
  r = Get("/containerLogs/default/web/main?previous=true", admin());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result_int(), 200);
  EXPECT_EQ(r->body(), "first run\n");
}

TEST_F(AgentServerTest, FollowStreamsAppendedLinesUntilTheContainerEnds) {
  AppendLog(0, Rec("stdout", "early"));
  TestClient client(server_->port(), pki_.pki().ca.cert_pem, admin());
  ASSERT_TRUE(client
                  .WriteRaw("GET /containerLogs/default/web/main?follow=true HTTP/1.1\r\n"
                            "Host: x\r\n\r\n")
                  .ok());
  int status = 0;
  ASSERT_TRUE(client.ReadStreamHeader(&status).ok());
  EXPECT_EQ(status, 200);
  std::string got;
  auto read_until = [&](const std::string& want) {
    while (got.find(want) == std::string::npos) {
      Result<std::optional<std::string>> chunk = client.ReadChunk();
      if (!chunk.ok() || !chunk->has_value()) return false;
      got += **chunk;
    }
    return true;
  };
  ASSERT_TRUE(read_until("early\n"));
  AppendLog(0, Rec("stderr", "later"));
  ASSERT_TRUE(read_until("later\n"));
  AppendLog(0, Rec("stdout", "last words"));
  SetPod(0, json{{"terminated", {{"exitCode", 0}}}});
  ASSERT_TRUE(read_until("last words\n"));
  // The container ended and the file stopped growing: the stream ends.
  Result<std::optional<std::string>> end = client.ReadChunk();
  while (end.ok() && end->has_value()) end = client.ReadChunk();
  ASSERT_TRUE(end.ok()) << end.status().ToString();
  EXPECT_EQ(got, "early\nlater\nlast words\n");
}

TEST_F(AgentServerTest, ExecRunsTheCommandAndReportsItsExit) {
  WsResult r =
      Ws(ExecTarget("command=echo&command=hello&command=world&stdout=true&stderr=true"), admin());
  EXPECT_TRUE(r.upgraded);
  EXPECT_EQ(r.protocol, "v5.channel.k8s.io");
  EXPECT_EQ(r.channels[1], "hello world\n");
  EXPECT_EQ(json::parse(r.channels[3]), json::parse(R"({"metadata":{},"status":"Success"})"));
  EXPECT_EQ(r.end, websocket::error::closed);
  EXPECT_EQ(r.close_code, 1000);

  r = Ws(ExecTarget("command=fake-stderr&command=oops&stdout=true&stderr=true"), admin());
  EXPECT_EQ(r.channels[2], "oops\n");
  EXPECT_EQ(r.channels.count(1), 0u);
}

TEST_F(AgentServerTest, ExecPumpsStdinUntilTheClientClosesIt) {
  std::string in1("\0ping\n", 6), in2("\0pong\n", 6), close_stdin("\xff\0", 2);
  WsResult r = Ws(ExecTarget("command=cat&stdin=true&stdout=true&stderr=true"), admin(),
                  {in1, in2, close_stdin});
  EXPECT_EQ(r.channels[1], "ping\npong\n");
  EXPECT_EQ(json::parse(r.channels[3]).value("status", ""), "Success");
}

TEST_F(AgentServerTest, ExecReportsANonZeroExitCodeAsKubectlExpects) {
  for (const char* protocol : {"v5.channel.k8s.io", "v4.channel.k8s.io"}) {
    WsResult r = Ws(ExecTarget("command=sh&command=-c&command=exit%203&stdout=true&stderr=true"),
                    admin(), {}, protocol);
    EXPECT_EQ(r.protocol, protocol);
    json status = json::parse(r.channels[3], nullptr, false);
    EXPECT_EQ(status.value("status", ""), "Failure") << protocol;
    EXPECT_EQ(status.value("reason", ""), "NonZeroExitCode") << protocol;
    EXPECT_EQ(status["details"]["causes"][0], json({{"reason", "ExitCode"}, {"message", "3"}}));
  }
}

TEST_F(AgentServerTest, ExecWithATerminalCarriesItsOutputOnStdout) {
  WsResult r = Ws(ExecTarget("command=echo&command=hi&stdin=true&stdout=true&tty=true"), admin());
  EXPECT_THAT(r.channels[1], ::testing::HasSubstr("hi"));
  EXPECT_EQ(json::parse(r.channels[3]).value("status", ""), "Success");
}

TEST_F(AgentServerTest, ExecWithATerminalPassesTheClientsTerminalSizeToTheRuntime) {
  for (const char* protocol : {"v5.channel.k8s.io", "v4.channel.k8s.io"}) {
    std::string resize = std::string(1, '\x04') + R"({"Width":132,"Height":43})";
    WsResult r = Ws(ExecTarget("command=fake-terminal-size&stdin=true&stdout=true&tty=true"),
                    admin(), {resize}, protocol);
    EXPECT_EQ(r.channels[1], "size 132 43\r\n") << protocol;
    EXPECT_EQ(r.channels.count(2), 0U) << protocol;  // a terminal has no stderr of its own
    EXPECT_EQ(json::parse(r.channels[3]).value("status", ""), "Success") << protocol;
  }
}

TEST_F(AgentServerTest, ExecRequestsThatCannotRunAreRefusedBeforeTheUpgrade) {
  struct Case {
    const char* target;
    const char* protocol;
    int want;
  };
  const Case cases[] = {
      {"/exec/default/web/main?stdout=true", "v5.channel.k8s.io", 400},  // no command
      {"/exec/default/web/main?command=ls", "v5.channel.k8s.io", 400},   // no stream
      {"/exec/default/web/main?command=ls&stdout=true", "v3.channel.k8s.io", 400},
      {"/exec/default/web/side?command=ls&stdout=true", "v5.channel.k8s.io", 400},  // not running
      {"/exec/default/gone/main?command=ls&stdout=true", "v5.channel.k8s.io", 404},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RefusedUpgradeStatus(c.target, admin(), c.protocol), c.want) << c.target;
  }
}

TEST_F(AgentServerTest, AttachStreamsNewOutputUntilTheContainerEnds) {
  AppendLog(0, Rec("stdout", "history"));
  // The session fixed its starting offset before answering 101: what is appended after the
  // handshake is streamed; the container's end (after the last write) ends the session.
  WsResult r = Ws("/attach/default/web/main?stdout=true&stderr=true", admin(), {},
                  "v5.channel.k8s.io", [this] {
                    AppendLog(0, Rec("stdout", "out") + Rec("stderr", "err"));
                    SetPod(0, json{{"terminated", {{"exitCode", 0}}}});
                  });
  EXPECT_EQ(r.channels[1], "out\n");
  EXPECT_EQ(r.channels[2], "err\n");
  EXPECT_EQ(json::parse(r.channels[3]).value("status", ""), "Success");
}

TEST_F(AgentServerTest, AttachWithStdinPassesInputToTheRuntimeAndEndsWithIt) {
  main_spec_ = {{"name", "main"}, {"stdin", true}};
  SetPod(0, json{{"running", json::object()}});
  AppendLog(0, Rec("stdout", "history"));  // attach starts at the log's end
  attach_stub_ = [this](const ExecCall& c) {
    return EchoToLog(
        c, [this](const std::string& rec) { AppendLog(0, rec); }, nullptr);
  };
  // No stdinOnce: the session ends with the client's stdin (v5 close of channel 0), with the
  // output the log has by then.
  WsResult r = Ws("/attach/default/web/main?stdin=true&stdout=true&stderr=true", admin(),
                  {std::string(1, '\0') + "ping\n", std::string("\xff\0", 2)});
  EXPECT_EQ(r.channels[1], "got:ping\n");
  EXPECT_EQ(json::parse(r.channels[3]).value("status", ""), "Success");
}

TEST_F(AgentServerTest, AttachWithStdinOnceShowsTheOutputUntilTheContainerEnds) {
  main_spec_ = {{"name", "main"}, {"stdin", true}, {"stdinOnce", true}};
  SetPod(0, json{{"running", json::object()}});
  AppendLog(0, Rec("stdout", "history"));  // attach starts at the log's end
  // The container reads its stdin to the end, then says goodbye and exits.
  attach_stub_ = [this](const ExecCall& c) {
    return EchoToLog(
        c, [this](const std::string& rec) { AppendLog(0, rec); },
        [this] {
          std::lock_guard<std::mutex> lock(exit_mu_);
          exit_ = std::thread([this] {
            // Not a wait for state: the exit comes later than the attach's end, so a session
            // that ended with its stdin would miss "bye".
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            AppendLog(0, Rec("stdout", "bye"));
            SetPod(0, json{{"terminated", {{"exitCode", 0}}}});
          });
        });
  };
  WsResult r = Ws("/attach/default/web/main?stdin=true&stdout=true&stderr=true", admin(),
                  {std::string(1, '\0') + "ping\n", std::string("\xff\0", 2)});
  {
    std::lock_guard<std::mutex> lock(exit_mu_);
    ASSERT_TRUE(exit_.joinable());
    exit_.join();
  }
  EXPECT_EQ(r.channels[1], "got:ping\nbye\n");
  EXPECT_EQ(json::parse(r.channels[3]).value("status", ""), "Success");
}

TEST_F(AgentServerTest, AttachWithStdinToARuntimeWithoutAttachShowsTheOutputOnly) {
  main_spec_ = {{"name", "main"}, {"stdin", true}};
  SetPod(0, json{{"running", json::object()}});
  AppendLog(0, Rec("stdout", "history"));  // attach starts at the log's end
  // The fake runtime has no on_attach: the input goes nowhere, the output still flows.
  WsResult r = Ws("/attach/default/web/main?stdin=true&stdout=true", admin(),
                  {std::string(1, '\0') + "ping\n"}, "v5.channel.k8s.io", [this] {
                    AppendLog(0, Rec("stdout", "out"));
                    SetPod(0, json{{"terminated", {{"exitCode", 0}}}});
                  });
  EXPECT_EQ(r.channels[1], "out\n");
  EXPECT_EQ(json::parse(r.channels[3]).value("status", ""), "Success");
}

TEST(EnsureServingCertTest, CreatesOnceThenReuses) {
  std::string dir =
      (std::filesystem::temp_directory_path() / ("capstan-agent-cert-" + std::to_string(getpid())))
          .string();
  Result<pki::CertKeyPair> first = EnsureServingCert(dir, "node-a", {"10.1.2.3"});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  Result<pki::CertInfo> info = pki::InspectCertPem(first->cert_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->common_name, "node-a");
  EXPECT_THAT(info->ip_addresses, ::testing::Contains("10.1.2.3"));
  Result<pki::CertKeyPair> second = EnsureServingCert(dir, "node-a", {});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->cert_pem, first->cert_pem);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace capstan::agent::server
