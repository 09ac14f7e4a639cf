// Tests for core/apiserver/list_stream.h: small lists go out whole, large ones as a paced
// chunked stream that arrives complete even when far larger than the back-pressure limit.
#include "core/apiserver/list_stream.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/apiserver/http_server.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::apiserver {
namespace {

using testing::Response;
using testing::TestClient;
using testing::TestPki;
namespace http = boost::beast::http;

std::vector<CachedObjectPtr> Items(size_t n, size_t payload) {
  std::vector<CachedObjectPtr> out;
  for (size_t i = 0; i < n; ++i) {
    auto o = std::make_shared<CachedObject>();
    o->json = R"({"i":)" + std::to_string(i) + R"(,"pad":")" + std::string(payload, 'x') + "\"}";
    out.push_back(std::move(o));
  }
  return out;
}

class ListStreamTest : public ::testing::Test {
 protected:
  // A server answering every request with SendList over `items`; `limit` is the back-pressure
  // cut of plain WriteChunk streams.
  void Serve(size_t n, size_t payload, size_t limit) {
    server_ = testing::StartTestServer(
        pki_,
        [n, payload](std::shared_ptr<HttpExchange> ex) {
          SendList(ex, 200, {{"Content-Type", "application/json"}}, R"({"kind":"L","items":[)",
                   Items(n, payload), "]}");
        },
        [limit](HttpServerOptions& o) { o.max_stream_queued_bytes = limit; });
  }

  TestPki pki_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ListStreamTest, SmallListsAreOneResponseWithContentLength) {
  Serve(3, 10, 4u << 20);
  TestClient client(server_->port(), pki_.pki().ca.cert_pem);
  Result<Response> r = client.Request(http::verb::get, "/api/v1/pods");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->chunked());
  nlohmann::json body = nlohmann::json::parse(r->body());
  ASSERT_EQ(body["items"].size(), 3u);
  EXPECT_EQ(body["items"][2]["i"], 2);
}

TEST_F(ListStreamTest, LargeListsStreamCompletelyPastTheBackPressureLimit) {
  // 4,000 items of ~2 KiB: about 8 MB, four times the 2 MiB cut of unpaced streams.
  Serve(4000, 2048, 2u << 20);
  TestClient client(server_->port(), pki_.pki().ca.cert_pem);
  for (int round = 0; round < 2; ++round) {  // and the connection serves the next request
    Result<Response> r = client.Request(http::verb::get, "/api/v1/pods");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->chunked());
    EXPECT_GT(r->body().size(), 3 * (2u << 20));
    nlohmann::json body = nlohmann::json::parse(r->body(), nullptr, false);
    ASSERT_FALSE(body.is_discarded());
    ASSERT_EQ(body["items"].size(), 4000u);
    for (size_t i = 0; i < 4000; i += 999) EXPECT_EQ(body["items"][i]["i"], i);
    EXPECT_EQ(body["kind"], "L");
  }
}

}  // namespace
}  // namespace capstan::apiserver
