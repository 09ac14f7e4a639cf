// Tests for the node streaming proxy (node_proxy.h, ApiServer::NodeStream in
// api_subresources.cc): a real in-process ApiServer over HTTPS, a Node and Pods created through
// the API, and a fake node agent (an HttpServer that insists on the kubelet-client certificate)
// serving /containerLogs (plain and a chunked follow) and a WebSocket echo on /exec.
#include "core/apiserver/node_proxy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <csignal>
#include <mutex>

#include "core/apiserver/api_server.h"
#include "core/apiserver/http_upgrade.h"
#include "core/apiserver/status_json.h"
#include "core/pki/certificate.h"
#include "core/registry/strategy_factory.h"
#include "core/store/leveldb_store.h"
#include "tests/core/apiserver/agent_facing_api.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::apiserver {
namespace {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using ::testing::HasSubstr;
using testing::TestClient;
using testing::TestPki;

constexpr char kSubprotocol[] = "v5.channel.k8s.io";

// The agent half of the contract, reduced to what the proxy relies on.
class FakeAgent {
 public:
  explicit FakeAgent(const TestPki& pki) {
    server_ = testing::StartTestServer(
        pki, [this](const std::shared_ptr<HttpExchange>& ex) { Handle(ex); });
  }
  ~FakeAgent() {
    {
      std::lock_guard lock(mu_);
      follow_.reset();
    }
    server_->Stop(std::chrono::milliseconds(200));
  }

  std::string endpoint() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  std::vector<std::string> targets() const {
    std::lock_guard lock(mu_);
    return targets_;
  }
  bool saw_authorization() const {
    std::lock_guard lock(mu_);
    return saw_authorization_;
  }
  // The open follow stream, once a follow request arrived.
  std::shared_ptr<HttpExchange> follow() const {
    std::lock_guard lock(mu_);
    return follow_;
  }

 private:
  void Handle(const std::shared_ptr<HttpExchange>& ex) {
    const HttpRequest& req = ex->request();
    {
      std::lock_guard lock(mu_);
      targets_.push_back(req.target);
      if (req.Header("authorization")) saw_authorization_ = true;
    }
    Result<pki::X509Identity> who = pki::IdentityFromCertPem(req.client_cert_chain_pem);
    if (!req.client_cert_verified || !who.ok() || who->user != "capstan-apiserver-kubelet-client") {
      ex->Respond(403, {{"Content-Type", "application/json"}},
                  FailureStatus(ForbiddenError("not the kubelet client")).dump());
      return;
    }
    if (req.path.rfind("/containerLogs/", 0) == 0) return Logs(ex);
    if (req.path.rfind("/exec/", 0) == 0 && req.path.find("/missing") == std::string::npos) {
      return Echo(ex);
    }
    ex->Respond(404, {{"Content-Type", "application/json"}},
                FailureStatus(NotFoundError("container not found")).dump());
  }

  void Logs(const std::shared_ptr<HttpExchange>& ex) {
    const HttpRequest& req = ex->request();
    if (req.path.find("/missing") != std::string::npos) {
      ex->Respond(404, {{"Content-Type", "application/json"}},
                  FailureStatus(NotFoundError("container \"missing\" not found")).dump());
      return;
    }
    if (req.query.Get("follow") == "true") {
      ex->StartStream(200, {{"Content-Type", "text/plain"}});
      ex->WriteChunk("first\n");
      std::lock_guard lock(mu_);
      follow_ = ex;
      return;
    }
    ex->Respond(200, {{"Content-Type", "text/plain"}}, "log of " + req.path + "\n");
  }

  // Answers every binary message on channel 1 (as stdout), until the client closes.
  static void Echo(const std::shared_ptr<HttpExchange>& ex) {
    HttpRequest request = ex->request();
    ex->TakeOverSocket([request](TakenSocket taken) {
      if (!taken.stream) return;
      auto ws = std::make_shared<websocket::stream<TlsStream>>(std::move(*taken.stream));
      ws->set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(beast::http::field::sec_websocket_protocol, kSubprotocol);
      }));
      ws->async_accept(UpgradeRequest(request), [ws](beast::error_code ec) {
        if (!ec) EchoLoop(ws, std::make_shared<beast::flat_buffer>());
      });
    });
  }

  static void EchoLoop(const std::shared_ptr<websocket::stream<TlsStream>>& ws,
                       const std::shared_ptr<beast::flat_buffer>& buf) {
    buf->clear();
    ws->async_read(*buf, [ws, buf](beast::error_code ec, size_t) {
      if (ec) return;
      auto out = std::make_shared<std::string>(beast::buffers_to_string(buf->data()));
      if (!out->empty()) (*out)[0] = 1;
      ws->binary(true);
      ws->async_write(boost::asio::buffer(*out), [ws, buf, out](beast::error_code wec, size_t) {
        if (!wec) EchoLoop(ws, buf);
      });
    });
  }

  std::unique_ptr<HttpServer> server_;
  mutable std::mutex mu_;  // guards the fields below
  std::vector<std::string> targets_;
  bool saw_authorization_ = false;
  std::shared_ptr<HttpExchange> follow_;
};

// Accepts verified client certificates as cluster admins.
// A kubectl-like WebSocket client (v5.channel.k8s.io) with the admin certificate; throws
// (failing the test) when the handshake fails.
struct WsClient {
  WsClient(uint16_t port, const pki::CertKeyPair& cert, const std::string& target)
      : ctx(Context(cert)), ws(ioc, ctx) {
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(ws).connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    ws.next_layer().handshake(boost::asio::ssl::stream_base::client);
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::sec_websocket_protocol, kSubprotocol);
      req.set(beast::http::field::authorization, "Bearer not-for-the-agent");
    }));
    ws.handshake(res, "127.0.0.1", target);
    ws.binary(true);
  }

  // The stream's SSL copies the certificate when it is created, so the context comes first.
  static boost::asio::ssl::context Context(const pki::CertKeyPair& cert) {
    boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
    ctx.set_verify_mode(boost::asio::ssl::verify_none);
    ctx.use_certificate_chain(boost::asio::buffer(cert.cert_pem));
    ctx.use_private_key(boost::asio::buffer(cert.key_pem), boost::asio::ssl::context::pem);
    return ctx;
  }

  boost::asio::io_context ioc;
  boost::asio::ssl::context ctx;
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws;
  websocket::response_type res;
};

class NodeProxyTest : public ::testing::Test {
 protected:
  NodeProxyTest() {
    api_ = testing::StartAgentFacingApiServer(pki_, &authn_, &store_);
    http_ = testing::StartTestServer(
        pki_, [this](std::shared_ptr<HttpExchange> ex) { api_->Handle(std::move(ex)); });
    agent_ = std::make_unique<FakeAgent>(pki_);
    Post("/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace",
                                   "metadata":{"name":"default"}})");
  }

  ~NodeProxyTest() override {
    http_->Stop(std::chrono::milliseconds(200));
    api_->Shutdown();
    agent_.reset();
  }

  std::unique_ptr<TestClient> Client() {
    return std::make_unique<TestClient>(http_->port(), pki_.pki().ca.cert_pem, &pki_.pki().admin);
  }

  void Post(const std::string& path, const std::string& body) {
    Result<testing::Response> r = Client()->Request(beast::http::verb::post, path, body,
                                                    {{"Content-Type", "application/json"}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->result_int(), 201) << r->body();
  }

  // A Node whose agent annotation is `endpoint` (none when empty).
  void CreateNode(const std::string& name, const std::string& endpoint) {
    nlohmann::json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}}}};
    if (!endpoint.empty()) node["metadata"]["annotations"][kAgentEndpointAnnotation] = endpoint;
    Post("/api/v1/nodes", node.dump());
  }

  void CreatePod(const std::string& name, const std::string& node,
                 const std::vector<std::string>& containers) {
    nlohmann::json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}}}};
    for (const std::string& c : containers) {
      pod["spec"]["containers"].push_back({{"name", c}, {"image", "busybox"}});
    }
    if (!node.empty()) pod["spec"]["nodeName"] = node;
    Post("/api/v1/namespaces/default/pods", pod.dump());
  }

  // The usual scene: node n1 with the fake agent, pod p (container c) on it.
  void CreateScene() {
    CreateNode("n1", agent_->endpoint());
    CreatePod("p", "n1", {"c"});
  }

  // Starts `kubectl logs -f p` and reads the response head; returns once the agent holds the
  // follow stream.
  std::unique_ptr<TestClient> StartFollow() {
    std::unique_ptr<TestClient> client = Client();
    EXPECT_TRUE(client
                    ->WriteRaw("GET /api/v1/namespaces/default/pods/p/log?follow=true HTTP/1.1\r\n"
                               "Host: x\r\n\r\n")
                    .ok());
    int status = 0;
    EXPECT_TRUE(client->ReadStreamHeader(&status).ok());
    EXPECT_EQ(status, 200);
    EXPECT_TRUE(testing::PollUntil([&] { return agent_->follow() != nullptr; }));
    return client;
  }

  Result<testing::Response> Get(const std::string& target) {
    return Client()->Request(beast::http::verb::get, target);
  }

  TestPki pki_;
  testing::CertAuthenticator authn_;
  std::unique_ptr<store::LevelDbStore> store_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<FakeAgent> agent_;
};

TEST_F(NodeProxyTest, LogsArePassedThroughWithTheContainerMovedIntoThePath) {
  CreateScene();
  Result<testing::Response> r =
      Get("/api/v1/namespaces/default/pods/p/log?container=c&tailLines=2&timestamps=true");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result_int(), 200) << r->body();
  EXPECT_EQ(r->body(), "log of /containerLogs/default/p/c\n");
  EXPECT_EQ((*r)[beast::http::field::content_type], "text/plain");
  EXPECT_THAT(agent_->targets(),
              ::testing::ElementsAre("/containerLogs/default/p/c?tailLines=2&timestamps=true"));
}

TEST_F(NodeProxyTest, TheOnlyContainerIsChosenWhenNoneIsNamed) {
  CreateScene();
  Result<testing::Response> r = Get("/api/v1/namespaces/default/pods/p/log");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result_int(), 200) << r->body();
  EXPECT_THAT(agent_->targets(), ::testing::ElementsAre("/containerLogs/default/p/c"));
}

TEST_F(NodeProxyTest, FollowedLogsArriveIncrementallyAndEndWithTheAgentStream) {
  CreateScene();
  std::unique_ptr<TestClient> client = StartFollow();
  ASSERT_NE(agent_->follow(), nullptr);
  Result<std::optional<std::string>> first = client->ReadChunk();
  ASSERT_TRUE(first.ok() && first->has_value()) << first.status().ToString();
  EXPECT_EQ(**first, "first\n");  // before the agent wrote anything else
  agent_->follow()->WriteChunk("second\n");
  Result<std::optional<std::string>> second = client->ReadChunk();
  ASSERT_TRUE(second.ok() && second->has_value()) << second.status().ToString();
  EXPECT_EQ(**second, "second\n");
  agent_->follow()->EndStream();
  Result<std::optional<std::string>> end = client->ReadChunk();
  ASSERT_TRUE(end.ok()) << end.status().ToString();
  EXPECT_FALSE(end->has_value());
}

TEST_F(NodeProxyTest, AClientLeavingAFollowClosesTheAgentConnection) {
  CreateScene();
  std::unique_ptr<TestClient> client = StartFollow();
  ASSERT_NE(agent_->follow(), nullptr);
  client->Close();
  EXPECT_TRUE(testing::PollUntil([&] { return agent_->follow()->closed(); }));
}

struct ErrorCase {
  std::string name;
  std::string target;
  int status;
  std::string message;
};

TEST_F(NodeProxyTest, RequestsThatCannotBeProxiedGetAStatus) {
  CreateScene();
  CreatePod("two", "n1", {"a", "b"});
  CreatePod("pending", "", {"c"});
  CreatePod("lost", "gone", {"c"});
  CreateNode("bare", "");
  CreatePod("stranded", "bare", {"c"});
  CreateNode("dead", "127.0.0.1:1");
  CreatePod("unreachable", "dead", {"c"});
  CreatePod("q", "n1", {"c", "missing"});
  const std::string pods = "/api/v1/namespaces/default/pods/";
  std::vector<ErrorCase> cases = {
      {"missing pod", pods + "nope/log", 404, "pods \"nope\" not found"},
      {"unscheduled", pods + "pending/log", 400, "pod pending does not have a host assigned"},
      {"unknown container", pods + "p/log?container=x", 400, "container x is not valid for pod p"},
      {"ambiguous", pods + "two/log", 400,
       "a container name must be specified for pod two, choose one of: [a b]"},
      {"node gone", pods + "lost/log", 503, "node \"gone\""},
      {"no endpoint", pods + "stranded/log", 503, "node \"bare\" has no agent endpoint"},
      {"agent down", pods + "unreachable/log", 503, "node agent at 127.0.0.1:1"},
      {"agent 404 relayed", pods + "q/log?container=missing", 404, "container \"missing\""},
      {"exec without upgrade", pods + "p/exec?command=ls", 400, "Upgrade request required"},
  };
  for (const ErrorCase& c : cases) {
    Result<testing::Response> r = Get(c.target);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status().ToString();
    EXPECT_EQ(r->result_int(), c.status) << c.name << ": " << r->body();
    nlohmann::json body = nlohmann::json::parse(r->body(), nullptr, false);
    EXPECT_EQ(body.value("kind", ""), "Status") << c.name << ": " << r->body();
    EXPECT_THAT(body.value("message", ""), HasSubstr(c.message)) << c.name;
  }
}

// A kubectl-style WebSocket exec, spliced through the API server to the agent's echo.
TEST_F(NodeProxyTest, WebSocketExecRoundTripsThroughTheSplice) {
  CreateScene();
  WsClient client(http_->port(), pki_.pki().admin,
                  "/api/v1/namespaces/default/pods/p/exec?command=sh&command=-c&container=c"
                  "&stdin=true&stdout=true");
  websocket::stream<beast::ssl_stream<beast::tcp_stream>>& ws = client.ws;
  const websocket::response_type& res = client.res;
  EXPECT_EQ(res[beast::http::field::sec_websocket_protocol], kSubprotocol);
  for (const std::string& word : {std::string("hello"), std::string(100000, 'x')}) {
    std::string in = std::string(1, '\0') + word;
    ws.write(boost::asio::buffer(in));
    beast::flat_buffer buf;
    ws.read(buf);
    EXPECT_EQ(beast::buffers_to_string(buf.data()), std::string(1, '\1') + word);
  }
  ws.close(websocket::close_code::normal);
  EXPECT_THAT(
      agent_->targets(),
      ::testing::ElementsAre("/exec/default/p/c?command=sh&command=-c&stdin=true&stdout=true"));
  EXPECT_FALSE(agent_->saw_authorization());
}

TEST_F(NodeProxyTest, ANon101AgentReplyToAnUpgradeIsRelayed) {
  CreateNode("n1", agent_->endpoint());
  CreatePod("q", "n1", {"missing"});
  auto client = Client();
  ASSERT_TRUE(client
                  ->WriteRaw("POST /api/v1/namespaces/default/pods/q/exec?command=ls HTTP/1.1\r\n"
                             "Host: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
                             "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n")
                  .ok());
  Result<testing::Response> r = client->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result_int(), 404);
  EXPECT_THAT(r->body(), HasSubstr("container not found"));
  EXPECT_TRUE(client->WaitForClose());
}

// The proxy on its own, driven as the API server drives it: a session lets go of both
// sockets (and the exchange) as soon as the client leaves, for a log follow and a splice.
TEST_F(NodeProxyTest, SessionsAreReleasedWhenTheClientLeaves) {
  NodeProxyOptions options;
  options.client_cert_pem = pki_.pki().kubelet_client.cert_pem;
  options.client_key_pem = pki_.pki().kubelet_client.key_pem;
  Result<std::unique_ptr<NodeProxy>> proxy = NodeProxy::Create(options);
  ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
  NodeProxy* raw = proxy->get();
  std::string endpoint = agent_->endpoint();
  auto front =
      testing::StartTestServer(pki_, [raw, endpoint](const std::shared_ptr<HttpExchange>& ex) {
        if (ex->request().IsUpgrade()) {
          raw->ProxyUpgrade(ex, endpoint, "/exec/default/p/c?command=sh");
        } else {
          raw->ProxyStream(ex, endpoint, "/containerLogs/default/p/c?follow=true");
        }
      });
  {
    TestClient client(front->port(), pki_.pki().ca.cert_pem);
    ASSERT_TRUE(client.WriteRaw("GET /log HTTP/1.1\r\nHost: x\r\n\r\n").ok());
    int status = 0;
    ASSERT_TRUE(client.ReadStreamHeader(&status).ok());
    EXPECT_EQ(status, 200);
    EXPECT_EQ(raw->active_sessions(), 1u);
  }
  EXPECT_TRUE(testing::PollUntil([&] { return raw->active_sessions() == 0; }));
  {
    WsClient client(front->port(), pki_.pki().admin, "/exec");
    std::string in("\0ping", 5);
    client.ws.write(boost::asio::buffer(in));
    beast::flat_buffer buf;
    client.ws.read(buf);
    EXPECT_EQ(beast::buffers_to_string(buf.data()), std::string("\1ping", 5));
    EXPECT_EQ(raw->active_sessions(), 1u);
    beast::get_lowest_layer(client.ws).close();  // no close handshake: the client just goes
  }
  EXPECT_TRUE(testing::PollUntil([&] { return raw->active_sessions() == 0; }));
  front->Stop(std::chrono::milliseconds(200));
}

struct EndpointCase {
  std::string name;
  nlohmann::json node;
  std::string want;  // empty: an error
};

TEST(AgentEndpointTest, AnnotationWinsElseInternalIpAndDaemonPort) {
  auto status = [](const std::string& ip, int port) {
    return nlohmann::json{
        {"addresses",
         {{{"type", "Hostname"}, {"address", "h"}}, {{"type", "InternalIP"}, {"address", ip}}}},
        {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", port}}}}}};
  };
  std::vector<EndpointCase> cases = {
      {"annotation",
       {{"metadata", {{"annotations", {{kAgentEndpointAnnotation, "127.0.0.1:4000"}}}}},
        {"status", status("10.0.0.1", 10250)}},
       "127.0.0.1:4000"},
      {"address and port",
       {{"metadata", {{"name", "n"}}}, {"status", status("10.0.0.1", 10250)}},
       "10.0.0.1:10250"},
      {"ipv6", {{"status", status("fd00::1", 10250)}}, "[fd00::1]:10250"},
      {"no port", {{"status", status("10.0.0.1", 0)}}, ""},
      {"no status", {{"metadata", {{"name", "n"}}}}, ""},
  };
  for (const EndpointCase& c : cases) {
    Result<std::string> got = AgentEndpoint(c.node);
    if (c.want.empty()) {
      EXPECT_EQ(got.status().code(), StatusCode::kUnavailable) << c.name;
    } else {
      ASSERT_TRUE(got.ok()) << c.name << ": " << got.status().ToString();
      EXPECT_EQ(*got, c.want) << c.name;
    }
  }
}

TEST(QueryWithoutTest, DropsOnlyTheNamedParameterKeepingEncodingAndOrder) {
  EXPECT_EQ(QueryWithout("container=c&follow=true", "container"), "follow=true");
  EXPECT_EQ(QueryWithout("command=echo%20hi&container=c&command=x", "container"),
            "command=echo%20hi&command=x");
  EXPECT_EQ(QueryWithout("cont%61iner=c&&tty=true", "container"), "tty=true");
  EXPECT_EQ(QueryWithout("", "container"), "");
}

}  // namespace
}  // namespace capstan::apiserver
