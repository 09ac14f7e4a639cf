// SPDY transports and upgrades (spdy_transport.h): the raw TLS stream after a 101, and a
// Beast WebSocket whose binary messages carry the bytes.
#include "core/agent/server/spdy_transport.h"

#include <array>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <utility>

#include "core/apiserver/http_upgrade.h"

namespace capstan::agent::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

class RawTransport : public SpdyTransport {
 public:
  explicit RawTransport(std::unique_ptr<apiserver::TlsStream> stream)
      : stream_(std::move(stream)) {}

  void Read(std::function<void(bool, std::string)> done) override {
    stream_->async_read_some(asio::buffer(buf_),
                             [this, done = std::move(done)](beast::error_code ec, size_t n) {
                               done(!ec, std::string(buf_.data(), ec ? 0 : n));
                             });
  }

  void Write(std::string bytes, std::function<void(bool)> done) override {
    auto owned = std::make_shared<std::string>(std::move(bytes));
    asio::async_write(*stream_, asio::buffer(*owned),
                      [owned, done = std::move(done)](beast::error_code ec, size_t) { done(!ec); });
  }

  void Close() override {
    beast::error_code ec;
    stream_->socket().close(ec);
  }

  asio::any_io_executor executor() override { return stream_->get_executor(); }

 private:
  std::unique_ptr<apiserver::TlsStream> stream_;
  std::array<char, 32 << 10> buf_{};
};

class WebSocketTransport : public SpdyTransport {
 public:
  explicit WebSocketTransport(std::unique_ptr<websocket::stream<apiserver::TlsStream>> ws)
      : ws_(std::move(ws)) {}

  void Read(std::function<void(bool, std::string)> done) override {
    ws_->async_read(in_, [this, done = std::move(done)](beast::error_code ec, size_t) {
      std::string bytes = ec ? std::string() : beast::buffers_to_string(in_.data());
      in_.consume(in_.size());
      done(!ec, std::move(bytes));
    });
  }

  void Write(std::string bytes, std::function<void(bool)> done) override {
    auto owned = std::make_shared<std::string>(std::move(bytes));
    ws_->async_write(asio::buffer(*owned),
                     [owned, done = std::move(done)](beast::error_code ec, size_t) { done(!ec); });
  }

  void Close() override {
    beast::error_code ec;
    beast::get_lowest_layer(*ws_).socket().close(ec);
  }

  asio::any_io_executor executor() override { return ws_->get_executor(); }

 private:
  std::unique_ptr<websocket::stream<apiserver::TlsStream>> ws_;
  beast::flat_buffer in_;
};

}  // namespace

bool IsSpdyUpgrade(const apiserver::HttpRequest& request) {
  for (std::string_view v : request.headers.GetAll("upgrade")) {
    if (apiserver::HeaderHasToken(v, "SPDY/3.1")) return true;
  }
  return false;
}

std::string ChooseStreamProtocol(const apiserver::HttpRequest& request,
                                 const std::vector<std::string>& supported) {
  std::vector<std::string_view> offered = request.headers.GetAll("x-stream-protocol-version");
  for (const std::string& p : supported) {
    for (std::string_view v : offered) {
      if (apiserver::HeaderHasToken(v, p)) return p;
    }
  }
  return "";
}

Status AcceptSpdyUpgrade(const std::shared_ptr<apiserver::HttpExchange>& exchange,
                         std::string protocol, SpdyTransportReady ready) {
  bool taken = exchange->TakeOverSocket([protocol = std::move(protocol), ready = std::move(ready)](
                                            apiserver::TakenSocket socket) mutable {
    if (!socket.stream) return ready(nullptr, "");
    auto head = std::make_shared<std::string>(
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
        "X-Stream-Protocol-Version: " +
        protocol + "\r\n\r\n");
    auto transport = std::make_shared<std::unique_ptr<RawTransport>>(
        std::make_unique<RawTransport>(std::move(socket.stream)));
    (*transport)
        ->Write(*head, [transport, head, ready = std::move(ready),
                        initial = std::move(socket.buffered)](bool ok) mutable {
          if (!ok) return ready(nullptr, "");
          ready(std::move(*transport), std::move(initial));
        });
  });
  if (!taken) return InternalError("the response was already started");
  return Status::Ok();
}

Status AcceptWebSocketTunnel(const std::shared_ptr<apiserver::HttpExchange>& exchange,
                             std::string subprotocol, SpdyTransportReady ready) {
  apiserver::HttpRequest request = exchange->request();
  if (!websocket::is_upgrade(apiserver::UpgradeRequest(request))) {
    return BadRequestError("a WebSocket upgrade is required");
  }
  bool taken = exchange->TakeOverSocket([request = std::move(request),
                                         subprotocol = std::move(subprotocol),
                                         ready = std::move(ready)](
                                            apiserver::TakenSocket socket) mutable {
    if (!socket.stream) return ready(nullptr, "");
    auto ws = std::make_unique<websocket::stream<apiserver::TlsStream>>(std::move(*socket.stream));
    ws->set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
      res.set(beast::http::field::sec_websocket_protocol, subprotocol);
    }));
    // Port-forward connections idle for long; the client's pings keep them alive.
    ws->set_option(websocket::stream_base::timeout{std::chrono::seconds(10),
                                                   websocket::stream_base::none(), false});
    ws->binary(true);
    websocket::stream<apiserver::TlsStream>* raw = ws.get();
    auto owned =
        std::make_shared<std::unique_ptr<websocket::stream<apiserver::TlsStream>>>(std::move(ws));
    raw->async_accept(apiserver::UpgradeRequest(request),
                      [owned, ready = std::move(ready)](beast::error_code ec) {
                        if (ec) return ready(nullptr, "");
                        ready(std::make_unique<WebSocketTransport>(std::move(*owned)), "");
                      });
  });
  if (!taken) return InternalError("the response was already started");
  return Status::Ok();
}

}  // namespace capstan::agent::server
