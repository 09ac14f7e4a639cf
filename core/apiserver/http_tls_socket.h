// `TlsSocket`: server-side TLS over a TCP socket that drives OpenSSL directly on the socket's
// file descriptor, waiting for readiness with Asio. Compared with asio::ssl::stream it has no
// BIO pair and no staging buffers (about 68 KiB per connection) and copies each byte once;
// with SSL_MODE_RELEASE_BUFFERS an idle connection (a watch) keeps only OpenSSL's state.
// Used by http_connection.cc and handed to upgrade owners (http_exchange.h). Tests: through
// tests/core/apiserver/http_*_test.cc.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>
#include <cstddef>
#include <utility>

namespace capstan::apiserver {

// Satisfies Asio's AsyncReadStream and AsyncWriteStream (and Beast's teardown customization
// below, so `beast::websocket::stream<TlsSocket>` works). Thread-safety: like an Asio socket,
// one outstanding read and one outstanding write at a time, all initiated from the socket's
// executor (a strand). Completion handlers never run inside the initiating call.
class TlsSocket {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;
  using Socket = boost::asio::ip::tcp::socket;

  // Takes `socket` and creates the server-side SSL from `ctx`. If that fails (out of memory)
  // the handshake completes with an error.
  TlsSocket(Socket socket, SSL_CTX* ctx);
  TlsSocket(TlsSocket&& other) noexcept;
  TlsSocket& operator=(TlsSocket&&) = delete;
  TlsSocket(const TlsSocket&) = delete;
  ~TlsSocket();

  executor_type get_executor() { return socket_.get_executor(); }
  Socket& socket() { return socket_; }
  SSL* native_handle() { return ssl_; }

  // Runs the server handshake. Handler: void(error_code).
  template <typename Handler>
  auto async_handshake(Handler&& handler);

  // Reads decrypted bytes into the first non-empty buffer. EOF (close_notify or a clean TCP
  // close) completes with asio::error::eof. Handler: void(error_code, size_t).
  template <typename MutableBuffers, typename Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler);

  // Writes from the first non-empty buffer (a partial write is possible, as for sockets).
  template <typename ConstBuffers, typename Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler);

  // Sends close_notify if the socket takes it right away; never waits for the peer's.
  void SendCloseNotify();

  // Outcome of one non-blocking OpenSSL call. Public for the composed operation below.
  enum class Io { kDone, kWantRead, kWantWrite };
  Io Handshake(boost::system::error_code* ec);
  Io Read(void* data, size_t size, size_t* n, boost::system::error_code* ec);
  Io Write(const void* data, size_t size, size_t* n, boost::system::error_code* ec);

 private:
  Socket socket_;
  SSL* ssl_ = nullptr;
};

namespace tls_detail {

// Repeats `step` (one non-blocking OpenSSL call) until it finishes, waiting for socket
// readiness in between; an immediate result is posted rather than completed inline.
template <typename Step, bool kWithSize>
struct TlsOp {
  TlsOp(TlsSocket* s, Step st) : socket(s), step(std::move(st)) {}

  TlsSocket* socket;
  Step step;
  int state = 0;  // 0: first call, 1: resumed after a wait, 2: posted result
  boost::system::error_code ec;
  size_t n = 0;

  template <typename Self>
  void Complete(Self& self, const boost::system::error_code& result) {
    if constexpr (kWithSize) {
      self.complete(result, result ? 0 : n);
    } else {
      self.complete(result);
    }
  }

  template <typename Self>
  void operator()(Self& self, boost::system::error_code wait_ec = {}) {
    if (state == 2) return Complete(self, ec);
    if (wait_ec) return Complete(self, wait_ec);
    TlsSocket::Io io = step(&ec, &n);
    if (io == TlsSocket::Io::kWantRead || io == TlsSocket::Io::kWantWrite) {
      state = 1;
      socket->socket().async_wait(io == TlsSocket::Io::kWantRead
                                      ? boost::asio::ip::tcp::socket::wait_read
                                      : boost::asio::ip::tcp::socket::wait_write,
                                  std::move(self));
      return;
    }
    if (state == 0) {
      state = 2;
      boost::asio::post(std::move(self));
      return;
    }
    Complete(self, ec);
  }
};

template <typename Step, typename Handler>
auto Start(TlsSocket* socket, Step step, Handler&& handler) {
  return boost::asio::async_compose<Handler, void(boost::system::error_code, size_t)>(
      TlsOp<Step, true>(socket, std::move(step)), handler, socket->socket());
}

template <typename Step, typename Handler>
auto StartNoSize(TlsSocket* socket, Step step, Handler&& handler) {
  return boost::asio::async_compose<Handler, void(boost::system::error_code)>(
      TlsOp<Step, false>(socket, std::move(step)), handler, socket->socket());
}

}  // namespace tls_detail

template <typename Handler>
auto TlsSocket::async_handshake(Handler&& handler) {
  return tls_detail::StartNoSize(
      this, [this](boost::system::error_code* ec, size_t*) { return Handshake(ec); },
      std::forward<Handler>(handler));
}

template <typename MutableBuffers, typename Handler>
auto TlsSocket::async_read_some(const MutableBuffers& buffers, Handler&& handler) {
  boost::asio::mutable_buffer first;
  for (auto it = boost::asio::buffer_sequence_begin(buffers);
       it != boost::asio::buffer_sequence_end(buffers); ++it) {
    if (boost::asio::mutable_buffer(*it).size() > 0) {
      first = *it;
      break;
    }
  }
  return tls_detail::Start(
      this,
      [this, first](boost::system::error_code* ec, size_t* n) {
        if (first.size() == 0) return Io::kDone;
        return Read(first.data(), first.size(), n, ec);
      },
      std::forward<Handler>(handler));
}

template <typename ConstBuffers, typename Handler>
auto TlsSocket::async_write_some(const ConstBuffers& buffers, Handler&& handler) {
  boost::asio::const_buffer first;
  for (auto it = boost::asio::buffer_sequence_begin(buffers);
       it != boost::asio::buffer_sequence_end(buffers); ++it) {
    if (boost::asio::const_buffer(*it).size() > 0) {
      first = *it;
      break;
    }
  }
  return tls_detail::Start(
      this,
      [this, first](boost::system::error_code* ec, size_t* n) {
        if (first.size() == 0) return Io::kDone;
        return Write(first.data(), first.size(), n, ec);
      },
      std::forward<Handler>(handler));
}

// Beast's close customization point (found by ADL): beast::close_socket on a stream whose
// lowest layer is a TlsSocket, e.g. when a WebSocket times out.
void beast_close_socket(TlsSocket& socket);

// Beast's teardown customization point (found by ADL), used when a WebSocket built on a
// taken-over TlsSocket closes: close_notify (best effort), then close the socket.
void teardown(boost::beast::role_type role, TlsSocket& socket, boost::system::error_code& ec);

template <typename TeardownHandler>
void async_teardown(boost::beast::role_type role, TlsSocket& socket, TeardownHandler&& handler) {
  boost::system::error_code ec;
  teardown(role, socket, ec);
  boost::asio::post(socket.get_executor(),
                    [h = std::forward<TeardownHandler>(handler), ec]() mutable { h(ec); });
}

}  // namespace capstan::apiserver
