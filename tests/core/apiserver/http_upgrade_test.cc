// Tests for the protocol-upgrade hook (`HttpExchange::TakeOverSocket`, http_upgrade.h): a raw
// protocol after a hand-written 101, and a Beast WebSocket (as exec/attach will use) speaking
// the Kubernetes `v5.channel.k8s.io` subprotocol framing over the taken TlsSocket.
#include "core/apiserver/http_upgrade.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>

#include "core/apiserver/http_server.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::apiserver {
namespace {

using testing::TestClient;
using testing::TestPki;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

class HttpUpgradeTest : public ::testing::Test {
 protected:
  TestPki pki_;
};

// The take-over hook as the WebSocket/SPDY code will use it: the handler detaches the TLS
// stream, writes its own 101 and then speaks a different protocol (here: an echo).
TEST_F(HttpUpgradeTest, TakeOverSocketHandsTheTlsStreamToTheHandler) {
  auto server = testing::StartTestServer(pki_, [&](std::shared_ptr<HttpExchange> ex) {
    if (!ex->request().IsUpgrade()) {
      ex->Respond(400, {}, "not an upgrade");
      return;
    }
    ex->TakeOverSocket([](TakenSocket taken) {
      if (!taken.stream) return;
      auto stream = std::shared_ptr<TlsStream>(std::move(taken.stream));
      auto buf = std::make_shared<std::array<char, 4>>();
      auto out = std::make_shared<std::string>(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
      boost::asio::async_write(
          *stream, boost::asio::buffer(*out), [stream, buf, out](auto ec, size_t) {
            if (ec) return;
            boost::asio::async_read(*stream, boost::asio::buffer(*buf),
                                    [stream, buf, out](auto ec2, size_t) {
                                      if (ec2) return;
                                      *out = "echo:" + std::string(buf->data(), buf->size());
                                      boost::asio::async_write(*stream, boost::asio::buffer(*out),
                                                               [stream, buf, out](auto, size_t) {});
                                    });
          });
    });
  });
  TestClient client(server->port(), pki_.pki().ca.cert_pem);
  ASSERT_TRUE(client
                  .WriteRaw("GET /exec HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                            "Upgrade: echo\r\n\r\n")
                  .ok());
  std::string got;
  while (got.find("\r\n\r\n") == std::string::npos) {
    Result<std::string> data = client.ReadSome();
    ASSERT_TRUE(data.ok()) << data.status().ToString();
    got += *data;
  }
  EXPECT_THAT(got, ::testing::StartsWith("HTTP/1.1 101 Switching Protocols\r\n"));
  EXPECT_EQ(server->open_connections(), 0u);  // no longer the HTTP server's
  ASSERT_TRUE(client.WriteRaw("ping").ok());
  std::string echoed = got.substr(got.find("\r\n\r\n") + 4);
  while (echoed.size() < 9) {
    Result<std::string> data = client.ReadSome();
    ASSERT_TRUE(data.ok()) << data.status().ToString();
    echoed += *data;
  }
  EXPECT_EQ(echoed, "echo:ping");
}

TEST_F(HttpUpgradeTest, BeastWebSocketRunsOnTheTakenSocket) {
  auto server = testing::StartTestServer(pki_, [&](std::shared_ptr<HttpExchange> ex) {
    HttpRequest request = ex->request();
    ex->TakeOverSocket([request](TakenSocket taken) {
      if (!taken.stream) return;
      auto ws = std::make_shared<websocket::stream<TlsStream>>(std::move(*taken.stream));
      ws->set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(beast::http::field::sec_websocket_protocol, "v5.channel.k8s.io");
      }));
      auto buf = std::make_shared<beast::flat_buffer>();
      ws->async_accept(UpgradeRequest(request), [ws, buf](beast::error_code ec) {
        if (ec) return;
        ws->async_read(*buf, [ws, buf](beast::error_code rec, size_t) {
          if (rec) return;
          // Answer stdin (channel 0) on stdout (channel 1), as an exec would.
          auto out = std::make_shared<std::string>(beast::buffers_to_string(buf->data()));
          (*out)[0] = 1;
          ws->binary(true);
          ws->async_write(boost::asio::buffer(*out), [ws, out](beast::error_code, size_t) {
            ws->async_close(websocket::close_code::normal, [ws](beast::error_code) {});
          });
        });
      });
    });
  });

  boost::asio::io_context ioc;
  boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
  ctx.set_verify_mode(boost::asio::ssl::verify_none);
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, ctx);
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(ws).connect(
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server->port()));
  ws.next_layer().handshake(boost::asio::ssl::stream_base::client);
  ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
    req.set(beast::http::field::sec_websocket_protocol, "v5.channel.k8s.io");
  }));
  websocket::response_type res;
  ws.handshake(res, "127.0.0.1", "/api/v1/namespaces/default/pods/p/exec?command=ls");
  EXPECT_EQ(res[beast::http::field::sec_websocket_protocol], "v5.channel.k8s.io");
  ws.binary(true);
  std::string in("\0hello", 6);
  ws.write(boost::asio::buffer(in));
  beast::flat_buffer buf;
  ws.read(buf);
  EXPECT_EQ(beast::buffers_to_string(buf.data()), std::string("\1hello", 6));
  beast::error_code ec;
  ws.read(buf, ec);  // the server's close frame
  EXPECT_EQ(ec, websocket::error::closed);
}

}  // namespace
}  // namespace capstan::apiserver
