// Tests for core/apiserver/http_server.h with a Beast TLS client: keep-alive, pipelining,
// decoding, limits, malformed input, asynchronous handlers, client certificates and Stop().
#include "core/apiserver/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "core/pki/certificate.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::apiserver {
namespace {

using ::testing::HasSubstr;
using testing::PollUntil;
using testing::Response;
using testing::TestClient;
using testing::TestPki;
namespace http = boost::beast::http;

// Records every request it sees and answers 200 with "<method> <path>".
struct Recorder {
  std::mutex mu;
  std::vector<HttpRequest> requests;

  HttpHandler Handler() {
    return [this](std::shared_ptr<HttpExchange> ex) {
      {
        std::lock_guard<std::mutex> lock(mu);
        requests.push_back(ex->request());
      }
      ex->Respond(200, {{"Content-Type", "text/plain"}},
                  ex->request().method + " " + ex->request().path);
    };
  }
  HttpRequest Last() {
    std::lock_guard<std::mutex> lock(mu);
    return requests.back();
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  TestPki pki_;
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Recorder rec;
  auto server = testing::StartTestServer(pki_, rec.Handler());
  ASSERT_NE(server->port(), 0);
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 3; ++i) {
    Result<Response> r = client.Request(http::verb::get, "/api/v" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->result_int(), 200u);
    EXPECT_EQ(r->body(), "GET /api/v" + std::to_string(i));
    EXPECT_EQ((*r)[http::field::content_length], std::to_string(r->body().size()));
    EXPECT_TRUE(r->keep_alive());
  }
  std::lock_guard<std::mutex> lock(rec.mu);
  ASSERT_EQ(rec.requests.size(), 3u);
  for (const HttpRequest& req : rec.requests) {
    EXPECT_EQ(req.remote_port, client.local_port());  // one TCP connection
    EXPECT_EQ(req.remote_ip, "127.0.0.1");
  }
}

TEST_F(HttpServerTest, RequestFieldsAreParsedAndDecoded) {
  Recorder rec;
  auto server = testing::StartTestServer(pki_, rec.Handler());
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  Result<Response> r = client.Request(
      http::verb::post, "/api/v1/namespaces/a%20b/pods?labelSelector=app%3Dweb&x=1&x=2&dryRun",
      "{\"kind\":\"Pod\"}", {{"X-Custom", "Value"}, {"Content-Type", "application/json"}});
  ASSERT_TRUE(r.ok());
  HttpRequest req = rec.Last();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/api/v1/namespaces/a b/pods");
  EXPECT_EQ(req.target, "/api/v1/namespaces/a%20b/pods?labelSelector=app%3Dweb&x=1&x=2&dryRun");
  EXPECT_EQ(req.query.Get("labelSelector"), "app=web");
  EXPECT_EQ(req.query.GetAll("x"), (std::vector<std::string_view>{"1", "2"}));
  EXPECT_TRUE(req.query.Has("dryRun"));
  EXPECT_EQ(req.Header("x-custom"), "Value");
  EXPECT_EQ(req.Header("content-type"), "application/json");
  EXPECT_EQ(req.body, "{\"kind\":\"Pod\"}");
  EXPECT_EQ(req.version, 11u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlow) {
  std::promise<std::shared_ptr<HttpExchange>> first;
  std::atomic<int> seen{0};
  auto server = testing::StartTestServer(pki_, [&](std::shared_ptr<HttpExchange> ex) {
    if (seen++ == 0) {
      first.set_value(ex);  // answered later, from the test thread
    } else {
      ex->Respond(200, {}, "second");
    }
  });
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(client
                  .WriteRaw("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
                  .ok());
  std::shared_ptr<HttpExchange> ex = first.get_future().get();
  EXPECT_EQ(seen.load(), 1);  // the second waits for the first response
  ex->Respond(200, {}, "first");
  Result<Response> r1 = client.ReadResponse();
  Result<Response> r2 = client.ReadResponse();
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->body(), "first");
  EXPECT_EQ(r2->body(), "second");
}

TEST_F(HttpServerTest, HandlerMayCompleteFromAnotherThread) {
  std::vector<std::thread> workers;
  std::mutex mu;
  auto server = testing::StartTestServer(pki_, [&](std::shared_ptr<HttpExchange> ex) {
    std::lock_guard<std::mutex> lock(mu);
    workers.emplace_back([ex] { ex->Respond(201, {{"X-From", "worker"}}, "done"); });
  });
  {
    TestClient client(server->port(), pki_.pki().ca.cert_pem);
    for (int i = 0; i < 5; ++i) {
      Result<Response> r = client.Request(http::verb::put, "/x", "body");
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->result_int(), 201u);
      EXPECT_EQ((*r)["X-From"], "worker");
      EXPECT_EQ(r->body(), "done");
    }
  }
  std::lock_guard<std::mutex> lock(mu);
  for (auto& t : workers) t.join();
}

TEST_F(HttpServerTest, BodyOverTheLimitGets413AndTheConnectionCloses) {
  Recorder rec;
  auto server = testing::StartTestServer(pki_, rec.Handler(),
                                         [](HttpServerOptions& o) { o.max_body_bytes = 1024; });
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  Result<Response> ok = client.Request(http::verb::post, "/small", std::string(1024, 'a'));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->result_int(), 200u);
  Result<Response> big = client.Request(http::verb::post, "/big", std::string(1025, 'a'));
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->result_int(), 413u);
  EXPECT_THAT(big->body(), HasSubstr("\"reason\":\"RequestEntityTooLarge\""));
  EXPECT_FALSE(big->keep_alive());
  EXPECT_TRUE(client.WaitForClose());
  std::lock_guard<std::mutex> lock(rec.mu);
  EXPECT_EQ(rec.requests.size(), 1u);  // the big one never reached the handler
}

TEST_F(HttpServerTest, MalformedRequestsGet400AndClose) {
  const char* cases[] = {
      "GARBAGE\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
      "GET relative HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  Recorder rec;
  auto server = testing::StartTestServer(pki_, rec.Handler());
  for (const char* raw : cases) {
    TestClient client(server->port(), pki_.pki().ca.cert_pem);
    ASSERT_TRUE(client.WriteRaw(raw).ok());
    Result<Response> r = client.ReadResponse();
    ASSERT_TRUE(r.ok()) << raw;
    EXPECT_EQ(r->result_int(), 400u) << raw;
    EXPECT_TRUE(client.WaitForClose()) << raw;
  }
  std::lock_guard<std::mutex> lock(rec.mu);
  EXPECT_TRUE(rec.requests.empty());
}

TEST_F(HttpServerTest, OversizedHeadersGet431) {
  Recorder rec;
  auto server = testing::StartTestServer(pki_, rec.Handler(),
                                         [](HttpServerOptions& o) { o.max_header_bytes = 2048; });
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  Result<Response> r =
      client.Request(http::verb::get, "/", "", {{"X-Big", std::string(4096, 'h')}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result_int(), 431u);
}

TEST_F(HttpServerTest, DroppedExchangeAnswers500AndKeepsTheConnection) {
  std::atomic<int> n{0};
  auto server = testing::StartTestServer(pki_, [&](std::shared_ptr<HttpExchange> ex) {
    if (n++ > 0) ex->Respond(200, {}, "ok");
  });
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  Result<Response> r = client.Request(http::verb::get, "/");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result_int(), 500u);
  Result<Response> again = client.Request(http::verb::get, "/");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->body(), "ok");
}

TEST_F(HttpServerTest, SecondResponseIsRejectedAndHeadHasNoBody) {
  std::atomic<bool> second_accepted{true};
  auto server = testing::StartTestServer(pki_, [&](std::shared_ptr<HttpExchange> ex) {
    EXPECT_TRUE(ex->Respond(200, {}, "hello"));
    second_accepted = ex->Respond(500, {}, "again") || ex->StartStream(200, {});
  });
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(client.WriteRaw("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  Result<std::string> raw = client.ReadSome();
  ASSERT_TRUE(raw.ok());
  EXPECT_THAT(*raw, HasSubstr("Content-Length: 5\r\n"));
  EXPECT_EQ(raw->substr(raw->size() - 4), "\r\n\r\n");  // head only
  EXPECT_FALSE(second_accepted.load());
}

TEST_F(HttpServerTest, ExpectContinueIsAnsweredBeforeTheBody) {
  Recorder rec;
  auto server = testing::StartTestServer(pki_, rec.Handler());
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(client
                  .WriteRaw("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                            "Expect: 100-continue\r\n\r\n")
                  .ok());
  Result<std::string> interim = client.ReadSome();
  ASSERT_TRUE(interim.ok());
  EXPECT_EQ(*interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(client.WriteRaw("abc").ok());
  Result<Response> r = client.ReadResponse();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(rec.Last().body, "abc");
}

TEST_F(HttpServerTest, VerifiedClientCertificateIsPassedThrough) {
  Recorder rec;
  auto server = testing::StartTestServer(pki_, rec.Handler());
  TestClient client(server->port(), pki_.pki().ca.cert_pem, &pki_.pki().admin);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Request(http::verb::get, "/").ok());
  HttpRequest req = rec.Last();
  EXPECT_TRUE(req.client_cert_verified);
  Result<pki::X509Identity> id = pki::IdentityFromCertPem(req.client_cert_chain_pem);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->user, "admin");
  EXPECT_EQ(id->groups, std::vector<std::string>{"system:masters"});
  // The verified chain ends at the trusted CA.
  EXPECT_THAT(req.client_cert_chain_pem, HasSubstr(pki_.pki().ca.cert_pem));
}

TEST_F(HttpServerTest, ClientWithoutCertificateIsStillServed) {
  Recorder rec;
  auto server = testing::StartTestServer(pki_, rec.Handler());
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(client.Request(http::verb::get, "/anon").ok());
  HttpRequest req = rec.Last();
  EXPECT_FALSE(req.client_cert_verified);
  EXPECT_TRUE(req.client_cert_chain_pem.empty());
}

TEST_F(HttpServerTest, CertificateFromAnotherCaIsServedButNotVerified) {
  Result<pki::CertKeyPair> other_ca = pki::CreateCa("other", std::chrono::hours(1));
  ASSERT_TRUE(other_ca.ok());
  pki::CertSpec spec;
  spec.common_name = "mallory";
  spec.organizations = {"system:masters"};
  spec.usage = pki::CertUsage::kClient;
  Result<pki::CertKeyPair> forged = pki::IssueCert(*other_ca, spec);
  ASSERT_TRUE(forged.ok());
  Recorder rec;
  auto server = testing::StartTestServer(pki_, rec.Handler());
  TestClient client(server->port(), pki_.pki().ca.cert_pem, &*forged);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Request(http::verb::get, "/forged").ok());
  HttpRequest req = rec.Last();
  EXPECT_FALSE(req.client_cert_verified);
  EXPECT_THAT(req.client_cert_chain_pem, HasSubstr("BEGIN CERTIFICATE"));
}

TEST_F(HttpServerTest, IdleConnectionsAreClosedAfterTheIdleTimeout) {
  Recorder rec;
  auto server = testing::StartTestServer(pki_, rec.Handler(), [](HttpServerOptions& o) {
    o.idle_timeout = std::chrono::milliseconds(100);
  });
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(client.Request(http::verb::get, "/").ok());
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_TRUE(PollUntil([&] { return server->open_connections() == 0; }));
}

TEST_F(HttpServerTest, StopAnswersThePendingRequestWithConnectionClose) {
  std::promise<std::shared_ptr<HttpExchange>> pending;
  auto server = testing::StartTestServer(
      pki_, [&](std::shared_ptr<HttpExchange> ex) { pending.set_value(std::move(ex)); });
  TestClient idle(server->port(), pki_.pki().ca.cert_pem);
  TestClient busy(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(busy.WriteRaw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  std::shared_ptr<HttpExchange> ex = pending.get_future().get();
  std::thread stopper([&] { server->Stop(std::chrono::seconds(10)); });
  EXPECT_TRUE(idle.WaitForClose());
  ex->Respond(200, {}, "late");
  Result<Response> r = busy.ReadResponse();
  stopper.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body(), "late");
  EXPECT_FALSE(r->keep_alive());
  EXPECT_EQ(server->open_connections(), 0u);
}

TEST_F(HttpServerTest, TlsMaterialLoadsFromThePkiFiles) {
  const pki::PkiPaths& paths = pki_.pki().paths;
  Result<HttpTlsConfig> tls =
      HttpTlsConfig::FromFiles(paths.server_cert, paths.server_key, paths.ca_cert);
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  Recorder rec;
  auto server =
      testing::StartTestServer(pki_, rec.Handler(), [&](HttpServerOptions& o) { o.tls = *tls; });
  TestClient client(server->port(), pki_.pki().ca.cert_pem, &pki_.pki().admin);
  ASSERT_TRUE(client.Request(http::verb::get, "/files").ok());
  EXPECT_TRUE(rec.Last().client_cert_verified);

  Result<HttpTlsConfig> missing =
      HttpTlsConfig::FromFiles(paths.pki_dir + "/nope.crt", paths.server_key, "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.crt"));
}

TEST_F(HttpServerTest, StartFailsClearlyOnBadInput) {
  HttpServerOptions options;
  options.tls = pki_.TlsConfig();
  options.address = "not-an-ip";
  Result<std::unique_ptr<HttpServer>> bad_addr =
      HttpServer::Start(options, [](std::shared_ptr<HttpExchange>) {});
  EXPECT_EQ(bad_addr.status().code(), StatusCode::kInvalid);

  options.address = "127.0.0.1";
  options.tls.key_pem = pki_.pki().admin.key_pem;  // does not match the serving cert
  Result<std::unique_ptr<HttpServer>> bad_key =
      HttpServer::Start(options, [](std::shared_ptr<HttpExchange>) {});
  EXPECT_EQ(bad_key.status().code(), StatusCode::kInvalid);

  auto running = testing::StartTestServer(pki_, [](std::shared_ptr<HttpExchange>) {});
  options.tls = pki_.TlsConfig();
  options.port = running->port();
  Result<std::unique_ptr<HttpServer>> taken =
      HttpServer::Start(options, [](std::shared_ptr<HttpExchange>) {});
  EXPECT_EQ(taken.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(taken.status().message(), HasSubstr("in use"));
}

}  // namespace
}  // namespace capstan::apiserver
