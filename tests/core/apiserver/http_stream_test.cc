// Tests for streaming through `HttpExchange` (http_exchange.h): incremental chunks, client
// disconnect, back-pressure cut and Stop() during a stream. Upgrades: http_upgrade_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "core/apiserver/http_server.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::apiserver {
namespace {

using ::testing::HasSubstr;
using testing::PollUntil;
using testing::Response;
using testing::TestClient;
using testing::TestPki;
namespace http = boost::beast::http;

class HttpStreamTest : public ::testing::Test {
 protected:
  TestPki pki_;
};

TEST_F(HttpStreamTest, ChunksReachTheClientOneByOne) {
  std::promise<std::shared_ptr<HttpExchange>> got;
  auto server = testing::StartTestServer(pki_, [&](std::shared_ptr<HttpExchange> ex) {
    ex->StartStream(200, {{"Content-Type", "application/json"}});
    ex->WriteChunk("{\"type\":\"ADDED\"}\n");
    got.set_value(std::move(ex));
  });
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(client.WriteRaw("GET /api/v1/pods?watch=true HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  std::shared_ptr<HttpExchange> ex = got.get_future().get();
  int status = 0;
  ASSERT_TRUE(client.ReadStreamHeader(&status).ok());
  EXPECT_EQ(status, 200);
  // The first event arrives while the server has not yet written the second.
  Result<std::optional<std::string>> first = client.ReadChunk();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->value_or(""), "{\"type\":\"ADDED\"}\n");
  EXPECT_TRUE(ex->WriteChunk("{\"type\":\"MODIFIED\"}\n"));
  Result<std::optional<std::string>> second = client.ReadChunk();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->value_or(""), "{\"type\":\"MODIFIED\"}\n");
  EXPECT_TRUE(ex->EndStream());
  Result<std::optional<std::string>> end = client.ReadChunk();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
  EXPECT_FALSE(ex->WriteChunk("late"));
}

TEST_F(HttpStreamTest, ConnectionIsReusedAfterAStreamEnds) {
  std::atomic<int> n{0};
  auto server = testing::StartTestServer(pki_, [&](std::shared_ptr<HttpExchange> ex) {
    if (n++ == 0) {
      ex->StartStream(200, {});
      ex->WriteChunk("a");
      ex->WriteChunk("b");
      ex->EndStream();
    } else {
      ex->Respond(200, {}, "plain");
    }
  });
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  Result<Response> streamed = client.Request(http::verb::get, "/watch");
  ASSERT_TRUE(streamed.ok());
  EXPECT_EQ(streamed->body(), "ab");
  EXPECT_TRUE(streamed->chunked());
  Result<Response> plain = client.Request(http::verb::get, "/");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->body(), "plain");
}

TEST_F(HttpStreamTest, ClientDisconnectRunsOnClosed) {
  std::promise<std::shared_ptr<HttpExchange>> got;
  std::promise<void> closed;
  auto server = testing::StartTestServer(pki_, [&](std::shared_ptr<HttpExchange> ex) {
    ex->StartStream(200, {});
    ex->OnClosed([&closed] { closed.set_value(); });
    got.set_value(std::move(ex));
  });
  auto client = std::make_unique<TestClient>(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(client->WriteRaw("GET /watch HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  std::shared_ptr<HttpExchange> ex = got.get_future().get();
  int status = 0;
  ASSERT_TRUE(client->ReadStreamHeader(&status).ok());
  client.reset();  // the client goes away while no event is being written
  ASSERT_EQ(closed.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(ex->closed());
  EXPECT_FALSE(ex->WriteChunk("nobody listens"));
  // Registered after the fact, the callback still runs.
  std::promise<void> late;
  ex->OnClosed([&late] { late.set_value(); });
  EXPECT_EQ(late.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(PollUntil([&] { return server->open_connections() == 0; }));
}

TEST_F(HttpStreamTest, SlowClientIsCutWhenQueuedBytesExceedTheLimit) {
  std::promise<std::shared_ptr<HttpExchange>> got;
  std::atomic<bool> on_closed{false};
  auto server = testing::StartTestServer(
      pki_,
      [&](std::shared_ptr<HttpExchange> ex) {
        ex->StartStream(200, {});
        ex->OnClosed([&] { on_closed = true; });
        got.set_value(std::move(ex));
      },
      [](HttpServerOptions& o) { o.max_stream_queued_bytes = 256u << 10; });
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(client.WriteRaw("GET /watch HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  std::shared_ptr<HttpExchange> ex = got.get_future().get();
  // The client never reads: socket buffers fill, then the queue, then the stream is cut.
  const std::string event(16u << 10, 'e');
  size_t accepted = 0;
  for (; accepted < 100000 && ex->WriteChunk(event); ++accepted) {
  }
  EXPECT_LT(accepted, 100000u);
  EXPECT_TRUE(ex->closed());
  EXPECT_TRUE(PollUntil([&] { return on_closed.load(); }));
  EXPECT_TRUE(PollUntil([&] { return server->open_connections() == 0; }));
}

TEST_F(HttpStreamTest, StopEndsOpenStreamsAndRunsOnClosed) {
  std::promise<std::shared_ptr<HttpExchange>> got;
  std::atomic<bool> on_closed{false};
  auto server = testing::StartTestServer(pki_, [&](std::shared_ptr<HttpExchange> ex) {
    ex->StartStream(200, {});
    ex->WriteChunk("x");
    ex->OnClosed([&] { on_closed = true; });
    got.set_value(std::move(ex));
  });
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(client.WriteRaw("GET /watch HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  std::shared_ptr<HttpExchange> ex = got.get_future().get();
  int status = 0;
  ASSERT_TRUE(client.ReadStreamHeader(&status).ok());
  ASSERT_TRUE(client.ReadChunk().ok());
  server->Stop(std::chrono::seconds(10));
  EXPECT_TRUE(on_closed.load());
  Result<std::optional<std::string>> end = client.ReadChunk();
  ASSERT_TRUE(end.ok()) << end.status().ToString();  // terminating chunk, not a reset
  EXPECT_FALSE(end->has_value());
  EXPECT_FALSE(ex->WriteChunk("after stop"));
}

TEST_F(HttpStreamTest, Http10StreamIsDelimitedByClose) {
  auto server = testing::StartTestServer(pki_, [&](std::shared_ptr<HttpExchange> ex) {
    ex->StartStream(200, {});
    ex->WriteChunk("old");
    ex->EndStream();
  });
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(client.WriteRaw("GET / HTTP/1.0\r\n\r\n").ok());
  std::string all;
  while (true) {
    Result<std::string> data = client.ReadSome();
    if (!data.ok()) break;
    all += *data;
  }
  EXPECT_THAT(all, HasSubstr("Connection: close\r\n\r\nold"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("chunked")));
}

}  // namespace
}  // namespace capstan::apiserver
