// SpdyTestClient (spdy_test_client.h): Beast TLS and WebSocket clients, synchronous with
// socket timeouts.
#include "tests/core/agent/server/spdy_test_client.h"

#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <map>

namespace capstan::agent::server::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace http = boost::beast::http;
using Tls = beast::ssl_stream<beast::tcp_stream>;

struct SpdyTestClient::Impl {
  asio::io_context ioc;
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  std::unique_ptr<Tls> tls;
  std::unique_ptr<websocket::stream<Tls>> ws;
  SpdyFrameEncoder encoder;
  SpdyFrameDecoder decoder;
  bool ended = false;

  void Write(const std::string& bytes) {
    beast::error_code ec;
    if (ws) {
      ws->write(asio::buffer(bytes), ec);
    } else {
      asio::write(*tls, asio::buffer(bytes), ec);
    }
    if (ec) ended = true;
  }

  // Appends what arrives within `timeout` to the decoder; false when the connection ended.
  bool Fill(std::chrono::milliseconds timeout) {
    beast::error_code ec;
    beast::tcp_stream& tcp = ws ? beast::get_lowest_layer(*ws) : tls->next_layer();
    tcp.expires_after(timeout);
    if (ws) {
      beast::flat_buffer buf;
      ws->read(buf, ec);
      if (!ec) decoder.Append(beast::buffers_to_string(buf.data()));
    } else {
      char buf[16384];
      size_t n = tls->read_some(asio::buffer(buf), ec);
      if (!ec) decoder.Append(std::string_view(buf, n));
    }
    if (ec) ended = true;
    return !ec;
  }
};

SpdyTestClient::SpdyTestClient(uint16_t port, const pki::CertKeyPair& cert, SpdyMode mode,
                               const std::string& target, const std::string& protocol)
    : impl_(std::make_unique<Impl>()) {
  Impl& i = *impl_;
  i.ctx.set_verify_mode(asio::ssl::verify_none);
  i.ctx.use_certificate_chain(asio::buffer(cert.cert_pem));
  i.ctx.use_private_key(asio::buffer(cert.key_pem), asio::ssl::context::pem);
  i.tls = std::make_unique<Tls>(i.ioc, i.ctx);
  beast::tcp_stream& tcp = i.tls->next_layer();
  tcp.expires_after(std::chrono::seconds(10));
  beast::error_code ec;
  tcp.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (!ec) i.tls->handshake(asio::ssl::stream_base::client, ec);
  if (ec) return;
  if (mode == SpdyMode::kWebSocket) {
    i.ws = std::make_unique<websocket::stream<Tls>>(std::move(*i.tls));
    i.ws->set_option(websocket::stream_base::decorator([protocol](websocket::request_type& r) {
      r.set(http::field::sec_websocket_protocol, protocol);
    }));
    websocket::response_type res;
    i.ws->handshake(res, "127.0.0.1", target, ec);
    status_ = ec ? static_cast<int>(res.result_int()) : 101;
    if (ec && status_ == 101) status_ = 0;
    chosen_ = std::string(res[http::field::sec_websocket_protocol]);
    i.ws->binary(true);
    return;
  }
  std::string head = "POST " + target +
                     " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                     "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: " +
                     protocol + "\r\nContent-Length: 0\r\n\r\n";
  asio::write(*i.tls, asio::buffer(head), ec);
  if (ec) return;
  std::string in;
  size_t n = asio::read_until(*i.tls, asio::dynamic_buffer(in), "\r\n\r\n", ec);
  if (ec) return;
  std::string response = in.substr(0, n);
  i.decoder.Append(std::string_view(in).substr(n));
  status_ = std::stoi(response.substr(9, 3));
  size_t p = response.find("X-Stream-Protocol-Version: ");
  if (p != std::string::npos) {
    p += 27;
    chosen_ = response.substr(p, response.find("\r\n", p) - p);
  }
}

SpdyTestClient::~SpdyTestClient() = default;

void SpdyTestClient::Send(const SpdyFrame& frame) {
  Result<std::string> bytes = impl_->encoder.Encode(frame);
  if (bytes.ok()) impl_->Write(*bytes);
}

void SpdyTestClient::SendRaw(const std::string& bytes) { impl_->Write(bytes); }

void SpdyTestClient::OpenStream(uint32_t id, const SpdyHeaders& headers, bool fin) {
  SpdyFrame f;
  f.type = SpdyFrameType::kSynStream;
  f.stream_id = id;
  f.headers = headers;
  f.flags = fin ? kSpdyFlagFin : 0;
  Send(f);
}

std::optional<SpdyFrame> SpdyTestClient::Read(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    Result<std::optional<SpdyFrame>> f = impl_->decoder.Next();
    if (!f.ok()) return std::nullopt;
    if (f->has_value()) return std::move(**f);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (impl_->ended || left.count() <= 0 || !impl_->Fill(left)) return std::nullopt;
  }
}

bool SpdyTestClient::ReadUntil(std::map<uint32_t, StreamResult>* streams,
                               const std::function<bool()>& done,
                               std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    std::optional<SpdyFrame> f = Read(left);
    if (!f) return done();
    StreamResult& s = (*streams)[f->stream_id];
    switch (f->type) {
      case SpdyFrameType::kSynReply:
        s.replied = true;
        break;
      case SpdyFrameType::kData:
        s.data += f->data;
        s.fin = s.fin || f->fin();
        break;
      case SpdyFrameType::kRstStream:
        s.reset = true;
        break;
      case SpdyFrameType::kGoAway:
        goaway_ = true;
        break;
      case SpdyFrameType::kPing:
        last_ping_ = f->value;
        break;
      default:
        break;
    }
  }
  return true;
}

}  // namespace capstan::agent::server::testing
