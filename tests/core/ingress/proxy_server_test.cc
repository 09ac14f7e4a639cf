// Tests for proxy_server.h: real listeners on 127.0.0.1:0 proxying to local `TestBackend`s —
// routing, forwarded headers, 404/503/502, keep-alive and upstream pooling, streaming bodies
// both ways, live route swaps, round robin, and TLS certificate selection by SNI.
#include "core/ingress/proxy_server.h"

#include <gtest/gtest.h>

#include "tests/core/ingress/proxy_test_util.h"

namespace capstan::ingress {
namespace {

using nlohmann::json;
using testing::ClientResponse;
using testing::TestBackend;
using testing::TestHttpClient;
namespace http = boost::beast::http;

ObjectPtr Obj(json j) { return std::make_shared<const json>(std::move(j)); }

class ProxyServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<TlsStore>> tls = TlsStore::Create();
    ASSERT_TRUE(tls.ok()) << tls.status().ToString();
    tls_ = std::move(*tls);
    ProxyOptions o;
    o.http_port = 0;
    o.https_port = 0;
    Result<std::unique_ptr<ProxyServer>> proxy = ProxyServer::Start(o, tls_.get());
    ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
    proxy_ = std::move(*proxy);
    Route({{"a.test", {{"/", "svc-a"}, {"/b", "svc-b"}}}});
  }

  // Installs Ingress rules {host -> [(path, service)]} over services svc-a (backend a),
  // svc-b (backend b), svc-ab (both) and svc-none (no endpoints).
  void Route(
      const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>&
          rules) {
    ClusterObjects o;
    for (const char* s : {"svc-a", "svc-b", "svc-ab", "svc-none"})
      o.services.push_back(Obj(testing::ServiceJson(s)));
    o.endpoint_slices.push_back(Obj(testing::SliceJson("svc-a", a_.port(), {"127.0.0.1"})));
    o.endpoint_slices.push_back(Obj(testing::SliceJson("svc-b", b_.port(), {"127.0.0.1"})));
    json ab_a = testing::SliceJson("svc-ab", a_.port(), {"127.0.0.1"});
    json ab_b = testing::SliceJson("svc-ab", b_.port(), {"127.0.0.1"});
    ab_b["metadata"]["name"] = "svc-ab-2";
    o.endpoint_slices.push_back(Obj(ab_a));
    o.endpoint_slices.push_back(Obj(ab_b));
    json r = json::array();
    for (const auto& [host, paths] : rules) r.push_back(testing::RuleJson(host, paths));
    json ing = testing::IngressJson("ing", r);
    ing["spec"]["tls"] = {{{"hosts", {"secure.test"}}, {"secretName", "secure"}}};
    o.ingresses.push_back(Obj(ing));
    table_ = RouteTable::Build(o);
    proxy_->SetRoutes(table_);
  }

  TestBackend a_{"a"};
  TestBackend b_{"b"};
  std::unique_ptr<TlsStore> tls_;
  std::unique_ptr<ProxyServer> proxy_;
  std::shared_ptr<const RouteTable> table_;
};

TEST_F(ProxyServerTest, RoutesByHostAndPathAndAddsForwardedHeaders) {
  TestHttpClient c(proxy_->http_port());
  Result<ClientResponse> r = c.Get("a.test:8080", "/x?y=1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "a GET /x?y=1 xff=127.0.0.1 proto=http fhost=a.test:8080 len=0");
  r = c.Get("a.test", "/b/c");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body.substr(0, 9), "b GET /b/");
}

TEST_F(ProxyServerTest, AnswersNotFoundUnavailableAndBadGateway) {
  Route({{"a.test", {{"/none", "svc-none"}, {"/missing", "no-such-service"}}}});
  TestHttpClient c(proxy_->http_port());
  EXPECT_EQ(c.Get("a.test", "/other")->status, 404);
  EXPECT_EQ(c.Get("other.test", "/none")->status, 404);
  EXPECT_EQ(c.Get("a.test", "/none")->status, 503);
  EXPECT_EQ(c.Get("a.test", "/missing")->status, 503);
  EXPECT_EQ(proxy_->stats().not_found, 2u);
  EXPECT_EQ(proxy_->stats().unavailable, 2u);

  // An endpoint nobody listens on: 502.
  ClusterObjects o;
  o.services.push_back(Obj(testing::ServiceJson("dead")));
  o.endpoint_slices.push_back(Obj(testing::SliceJson("dead", 1, {"127.0.0.1"})));
  o.ingresses.push_back(
      Obj(testing::IngressJson("d", json::array({testing::RuleJson("", {{"/", "dead"}})}))));
  proxy_->SetRoutes(RouteTable::Build(o));
  EXPECT_EQ(c.Get("any", "/")->status, 502);
}

TEST_F(ProxyServerTest, KeepsClientsAliveAndPoolsUpstreamConnections) {
  TestHttpClient c(proxy_->http_port());
  for (int i = 0; i < 5; ++i) {
    Result<ClientResponse> r = c.Get("a.test", "/k");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, 200);
  }
  TestHttpClient second(proxy_->http_port());
  ASSERT_EQ(second.Get("a.test", "/k")->status, 200);
  EXPECT_EQ(a_.requests(), 6);
  EXPECT_EQ(a_.connections(), 1);
  EXPECT_EQ(proxy_->stats().upstream_dials, 1u);
}

TEST_F(ProxyServerTest, StreamsChunkedBodiesBothWays) {
  TestHttpClient c(proxy_->http_port());
  Result<ClientResponse> r = c.Get("a.test", "/stream/500");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->headers["transfer-encoding"], "chunked");
  std::string want;
  for (int i = 0; i < 500; ++i) want += "piece-" + std::to_string(i) + "\n";
  EXPECT_EQ(r->body, want);
  // A chunked request body larger than the proxy's 16 KiB piece buffer.
  r = c.Request(http::verb::post, "a.test", "/upload", std::string(200'000, 'x'), true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->body.find("len=200000"), std::string::npos) << r->body;
  EXPECT_EQ(r->headers.count("connection"), 0u) << "a request body must not end keep-alive";
  r = c.Request(http::verb::put, "a.test", "/upload", std::string(70'000, 'y'), false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->body.find("len=70000"), std::string::npos) << r->body;
}

TEST_F(ProxyServerTest, NewRoutesApplyToTheNextRequestOnAnOpenConnection) {
  TestHttpClient c(proxy_->http_port());
  EXPECT_EQ(c.Get("a.test", "/x")->body.substr(0, 1), "a");
  Route({{"a.test", {{"/", "svc-b"}}}});
  EXPECT_EQ(c.Get("a.test", "/x")->body.substr(0, 1), "b");
}

TEST_F(ProxyServerTest, SpreadsRequestsRoundRobinOverReadyEndpoints) {
  Route({{"", {{"/", "svc-ab"}}}});
  TestHttpClient c(proxy_->http_port());
  std::string seen;
  for (int i = 0; i < 4; ++i) seen += c.Get("x", "/")->body.substr(0, 1);
  EXPECT_TRUE(seen == "abab" || seen == "baba") << seen;
}

TEST_F(ProxyServerTest, SelectsTheSecretCertificateBySniAndDefaultsOtherwise) {
  Result<std::shared_ptr<SSL_CTX>> ctx =
      ContextFromSecret(testing::TlsSecretJson("secure", "secure.test"));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  tls_->Update(table_, {{"default/secure", *ctx}});
  TestHttpClient secure(proxy_->https_port(), true, "secure.test");
  Result<ClientResponse> r = secure.Get("a.test", "/tls");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(secure.PeerCommonName(), "secure.test");
  EXPECT_NE(r->body.find("proto=https"), std::string::npos) << r->body;

  TestHttpClient other(proxy_->https_port(), true, "a.test");
  ASSERT_TRUE(other.Get("a.test", "/tls").ok());
  EXPECT_EQ(other.PeerCommonName(), "capstan-ingress-default");
  TestHttpClient no_sni(proxy_->https_port(), true, "");
  ASSERT_TRUE(no_sni.Get("a.test", "/tls").ok());
  EXPECT_EQ(no_sni.PeerCommonName(), "capstan-ingress-default");
}

TEST(ProxyServerTimeoutTest, ClosesAnIdleKeepAliveConnectionAfterTheIdleTimeout) {
  TestBackend backend("a");
  ProxyOptions o;
  o.http_port = 0;
  o.https_port = -1;
  o.idle_timeout = std::chrono::milliseconds(100);
  Result<std::unique_ptr<ProxyServer>> proxy = ProxyServer::Start(o, nullptr);
  ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
  ClusterObjects objects;
  objects.services.push_back(Obj(testing::ServiceJson("svc")));
  objects.endpoint_slices.push_back(Obj(testing::SliceJson("svc", backend.port(), {"127.0.0.1"})));
  objects.ingresses.push_back(
      Obj(testing::IngressJson("i", json::array({testing::RuleJson("", {{"/", "svc"}})}))));
  (*proxy)->SetRoutes(RouteTable::Build(objects));
  TestHttpClient c((*proxy)->http_port());
  ASSERT_EQ(c.Get("x", "/")->status, 200);  // the timer is re-armed for every step
  EXPECT_TRUE(c.WaitForClose());
}

TEST(ProxyServerStartTest, ReportsAPortInUseNamingTheListener) {
  ProxyOptions o;
  o.http_port = 0;
  o.https_port = -1;
  Result<std::unique_ptr<ProxyServer>> first = ProxyServer::Start(o, nullptr);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  o.http_port = (*first)->http_port();
  Result<std::unique_ptr<ProxyServer>> second = ProxyServer::Start(o, nullptr);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("http listener 127.0.0.1:"), std::string::npos)
      << second.status().ToString();
}

}  // namespace
}  // namespace capstan::ingress
