// Non-blocking OpenSSL calls for `TlsSocket` (http_tls_socket.h), mapped to Asio error codes.
#include "core/apiserver/http_tls_socket.h"

#include <openssl/err.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>

namespace capstan::apiserver {
namespace {

using boost::system::error_code;

// Maps SSL_get_error's verdict for a failed call. The thread's error queue is cleared before
// every call (OpenSSL requires it for SSL_get_error to be reliable) and drained here.
TlsSocket::Io Classify(SSL* ssl, int ret, error_code* ec) {
  int err = SSL_get_error(ssl, ret);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return TlsSocket::Io::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return TlsSocket::Io::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      *ec = boost::asio::error::eof;
      break;
    case SSL_ERROR_SYSCALL: {
      int saved = errno;
      unsigned long queued = ERR_get_error();
      if (queued != 0) {
        *ec = error_code(static_cast<int>(queued), boost::asio::error::get_ssl_category());
      } else if (saved != 0) {
        *ec = error_code(saved, boost::system::system_category());
      } else {
        *ec = boost::asio::error::eof;
      }
      break;
    }
    default: {
      unsigned long queued = ERR_get_error();
      // OpenSSL 3 reports a TCP close without close_notify this way.
      if (ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        *ec = boost::asio::ssl::error::stream_truncated;
      } else {
        *ec = error_code(queued != 0 ? static_cast<int>(queued) : err,
                         boost::asio::error::get_ssl_category());
      }
      break;
    }
  }
  ERR_clear_error();
  return TlsSocket::Io::kDone;
}

}  // namespace

TlsSocket::TlsSocket(Socket socket, SSL_CTX* ctx) : socket_(std::move(socket)) {
  error_code ignored;
  socket_.non_blocking(true, ignored);
  ssl_ = SSL_new(ctx);
  if (ssl_ != nullptr && SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle())) != 1) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (ssl_ != nullptr) SSL_set_accept_state(ssl_);
  ERR_clear_error();
}

TlsSocket::TlsSocket(TlsSocket&& other) noexcept
    : socket_(std::move(other.socket_)), ssl_(std::exchange(other.ssl_, nullptr)) {}

TlsSocket::~TlsSocket() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

TlsSocket::Io TlsSocket::Handshake(error_code* ec) {
  if (ssl_ == nullptr) {
    *ec = boost::asio::error::no_memory;
    return Io::kDone;
  }
  ERR_clear_error();
  int ret = SSL_do_handshake(ssl_);
  if (ret == 1) return Io::kDone;
  return Classify(ssl_, ret, ec);
}

TlsSocket::Io TlsSocket::Read(void* data, size_t size, size_t* n, error_code* ec) {
  if (ssl_ == nullptr) {
    *ec = boost::asio::error::bad_descriptor;
    return Io::kDone;
  }
  ERR_clear_error();
  int ret = SSL_read_ex(ssl_, data, size, n);
  if (ret == 1) return Io::kDone;
  return Classify(ssl_, ret, ec);
}

TlsSocket::Io TlsSocket::Write(const void* data, size_t size, size_t* n, error_code* ec) {
  if (ssl_ == nullptr) {
    *ec = boost::asio::error::bad_descriptor;
    return Io::kDone;
  }
  ERR_clear_error();
  int ret = SSL_write_ex(ssl_, data, size, n);
  if (ret == 1) return Io::kDone;
  return Classify(ssl_, ret, ec);
}

void TlsSocket::SendCloseNotify() {
  if (ssl_ == nullptr) return;
  ERR_clear_error();
  // Returns 0 once close_notify is sent (we do not wait for the peer's); a full socket
  // buffer just means the peer does not get one, as after any abrupt close.
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

void beast_close_socket(TlsSocket& socket) {
  error_code ignored;
  socket.socket().close(ignored);
}

void teardown(boost::beast::role_type /*role*/, TlsSocket& socket, error_code& ec) {
  socket.SendCloseNotify();
  error_code ignored;
  socket.socket().shutdown(TlsSocket::Socket::shutdown_both, ignored);
  socket.socket().close(ec);
}

}  // namespace capstan::apiserver
