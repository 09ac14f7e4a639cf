// Integration tests for port-forward (core/agent/server/port_forward.h, pod_dialer.h,
// spdy_session.h, spdy_transport.h): a real AgentServer on 127.0.0.1:0, a "pod" that is a
// thread in a network namespace of its own serving on 127.0.0.1 there (root only), and a
// SPDY client (spdy_test_client.h) over both the plain upgrade and the WebSocket tunnel.
#include "core/agent/server/port_forward.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <future>
#include <map>
#include <mutex>
#include <thread>

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

// A thread in a new network namespace with loopback up, answering every connection to
// 127.0.0.1:`port()` with "echo:" and the first line it read, then closing it.
class NetnsEchoServer {
 public:
  NetnsEchoServer() {
    std::promise<void> ready;
    thread_ = std::thread([this, &ready] {
      if (unshare(CLONE_NEWNET) == 0) {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ifreq ifr{};
        std::snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        ioctl(s, SIOCGIFFLAGS, &ifr);
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
        ioctl(s, SIOCSIFFLAGS, &ifr);
        close(s);
        listen_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(a);
        if (bind(listen_, reinterpret_cast<sockaddr*>(&a), len) == 0 && listen(listen_, 8) == 0 &&
            getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
          port_ = ntohs(a.sin_port);
          path_ = "/proc/" + std::to_string(getpid()) + "/task/" +
                  std::to_string(syscall(SYS_gettid)) + "/ns/net";
        }
      }
      ready.set_value();
      if (port_ != 0) Serve();
    });
    ready.get_future().wait();
  }

  ~NetnsEchoServer() {
    if (listen_ >= 0) shutdown(listen_, SHUT_RDWR);
    thread_.join();
    if (listen_ >= 0) close(listen_);
  }

  uint16_t port() const { return port_; }
  const std::string& netns_path() const { return path_; }

 private:
  void Serve() {
    for (;;) {
      int c = accept(listen_, nullptr, nullptr);
      if (c < 0) return;
      std::string line;
      char ch;
      while (read(c, &ch, 1) == 1 && ch != '\n') line.push_back(ch);
      std::string reply = "echo:" + line + "\n";
      (void)!write(c, reply.data(), reply.size());
      close(c);
    }
  }

  std::thread thread_;
  int listen_ = -1;
  uint16_t port_ = 0;
  std::string path_;
};

class PortForwardTest : public ::testing::TestWithParam<SpdyMode> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "network namespaces need root";
    echo_ = std::make_unique<NetnsEchoServer>();
    ASSERT_NE(echo_->port(), 0) << "could not serve in a new network namespace";
    AgentServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.tls = pki_.TlsConfig(true);
    o.get_pod = [](const std::string& ns, const std::string& name) {
      if (ns != "default" || name != "web") return std::shared_ptr<const json>();
      return std::make_shared<const json>(
          json{{"metadata", {{"name", "web"}, {"namespace", "default"}}},
               {"status",
                {{"phase", "Running"},
                 {"containerStatuses", {{{"name", "main"}, {"containerID", "fake://c1"}}}}}}});
    };
    o.runtime_call = [path = echo_->netns_path()](std::string_view method,
                                                  const json& req) -> Result<json> {
      if (method == "ContainerStatus" && req.value("containerId", "") == "c1") {
        return json{{"status", {{"podSandboxId", "sb1"}}}};
      }
      if (method == "PodSandboxStatus" && req.value("podSandboxId", "") == "sb1") {
        return json{{"info", {{"netnsPath", path}}}};
      }
      return NotFoundError(std::string(method) + " not found");
    };
    Result<std::unique_ptr<AgentServer>> s = AgentServer::Start(std::move(o));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }

  std::unique_ptr<SpdyTestClient> Connect(const std::string& target = "/portForward/default/web") {
    bool ws = GetParam() == SpdyMode::kWebSocket;
    return std::make_unique<SpdyTestClient>(
        server_->port(), pki_.pki().admin, GetParam(), target,
        ws ? "SPDY/3.1+portforward.k8s.io" : "portforward.k8s.io");
  }

  // Opens the error and data streams of one forwarded connection (ids base, base+2).
  static void OpenPair(SpdyTestClient& c, uint32_t base, uint16_t port, int request) {
    SpdyHeaders h = {{"port", std::to_string(port)}, {"requestid", std::to_string(request)}};
    SpdyHeaders error = h, data = h;
    error.emplace_back("streamtype", "error");
    data.emplace_back("streamtype", "data");
    c.OpenStream(base, error, true);
    c.OpenStream(base + 2, data, false);
  }

  TestPki pki_;
  std::unique_ptr<NetnsEchoServer> echo_;
  std::unique_ptr<AgentServer> server_;
};

TEST_P(PortForwardTest, RelaysTwoConnectionsToAServerOnLocalhostInsideThePodNamespace) {
  std::unique_ptr<SpdyTestClient> c = Connect();
  ASSERT_EQ(c->status(), 101);
  EXPECT_EQ(c->chosen_protocol(), GetParam() == SpdyMode::kWebSocket ? "SPDY/3.1+portforward.k8s.io"
                                                                     : "portforward.k8s.io");
  std::map<uint32_t, StreamResult> streams;
  for (int request = 0; request < 2; ++request) {
    uint32_t base = 1 + request * 4;
    OpenPair(*c, base, echo_->port(), request);
    c->Send(SpdyDataFrame(base + 2, "hello-" + std::to_string(request) + "\n", false));
    ASSERT_TRUE(c->ReadUntil(&streams, [&] { return streams[base].fin && streams[base + 2].fin; }))
        << "request " << request;
    EXPECT_TRUE(streams[base].replied);
    EXPECT_TRUE(streams[base + 2].replied);
    EXPECT_EQ(streams[base + 2].data, "echo:hello-" + std::to_string(request) + "\n");
    EXPECT_EQ(streams[base].data, "");  // no error
  }
  // The client's pings are echoed.
  c->Send(SpdyPingFrame(1));
  ASSERT_TRUE(c->ReadUntil(&streams, [&] { return c->last_ping().has_value(); }));
  EXPECT_EQ(*c->last_ping(), 1U);
}

TEST_P(PortForwardTest, ReportsConnectionRefusedOnTheErrorStream) {
  std::unique_ptr<SpdyTestClient> c = Connect();
  ASSERT_EQ(c->status(), 101);
  uint16_t closed = echo_->port() == 1 ? 2 : 1;  // nothing else listens in that namespace
  OpenPair(*c, 1, closed, 0);
  std::map<uint32_t, StreamResult> streams;
  ASSERT_TRUE(c->ReadUntil(&streams, [&] { return streams[1].fin && streams[3].fin; }));
  EXPECT_NE(streams[1].data.find("error forwarding port " + std::to_string(closed) +
                                 " to pod default/web"),
            std::string::npos)
      << streams[1].data;
  EXPECT_NE(streams[1].data.find("connect: connection refused"), std::string::npos)
      << streams[1].data;
  EXPECT_EQ(streams[3].data, "");
}

TEST_P(PortForwardTest, ClosesTheConnectionOnAProtocolError) {
  std::unique_ptr<SpdyTestClient> c = Connect();
  ASSERT_EQ(c->status(), 101);
  c->Send(SpdyDataFrame(9, "x", false));  // data for a stream never opened: ignored
  // A PING of SPDY version 2 breaks the protocol: GOAWAY, then the close.
  c->SendRaw(std::string("\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", 12));
  std::map<uint32_t, StreamResult> streams;
  c->ReadUntil(&streams, [&] { return c->goaway(); });
  EXPECT_TRUE(c->goaway());
  EXPECT_FALSE(c->Read(std::chrono::seconds(5)).has_value());
}

INSTANTIATE_TEST_SUITE_P(Transports, PortForwardTest,
                         ::testing::Values(SpdyMode::kPlain, SpdyMode::kWebSocket),
                         [](const ::testing::TestParamInfo<SpdyMode>& p) {
                           return p.param == SpdyMode::kPlain ? "PlainSpdy" : "WebSocketTunnel";
                         });

class PortForwardRequestTest : public PortForwardTest {};

TEST_P(PortForwardRequestTest, RefusesUnknownPodsAndRequestsWithoutAnUpgrade) {
  std::unique_ptr<SpdyTestClient> c = Connect("/portForward/default/nope");
  EXPECT_EQ(c->status(), 404);
  apiserver::testing::TestClient plain(server_->port(), pki_.pki().ca.cert_pem, &pki_.pki().admin);
  Result<apiserver::testing::Response> r =
      plain.Request(boost::beast::http::verb::get, "/portForward/default/web");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result_int(), 400U);
  EXPECT_NE(r->body().find("SPDY/3.1"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Plain, PortForwardRequestTest, ::testing::Values(SpdyMode::kPlain));

}  // namespace
}  // namespace capstan::agent::server
