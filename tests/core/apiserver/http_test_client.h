// Test helpers for the HTTPS server tests (http_*_test.cc): a PKI in a temporary data dir, a
// server started on 127.0.0.1:0 with it, and a small Beast TLS client with per-operation
// timeouts (so a broken server fails a test instead of hanging it).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/apiserver/http_beast.h"
#include "core/apiserver/http_server.h"
#include "core/pki/server_pki.h"

namespace capstan::apiserver::testing {

namespace http = boost::beast::http;
using Response = http::response<http::string_body>;

// A data dir under $TMPDIR with a generated PKI; removed on destruction.
class TestPki {
 public:
  TestPki();
  ~TestPki();
  const pki::ServerPki& pki() const { return pki_; }
  const std::string& dir() const { return dir_; }
  HttpTlsConfig TlsConfig(bool request_client_certs = true) const;

 private:
  std::string dir_;
  pki::ServerPki pki_;
};

// Starts an HttpServer on 127.0.0.1:0 with `pki`'s serving cert; aborts the test binary on
// failure (helpers cannot ASSERT).
std::unique_ptr<HttpServer> StartTestServer(
    const TestPki& pki, HttpHandler handler,
    const std::function<void(HttpServerOptions&)>& tweak = nullptr);

// A blocking TLS client; every operation gives up after `timeout`.
class TestClient {
 public:
  // Connects and handshakes, trusting `ca_pem`; presents `client` when given.
  TestClient(uint16_t port, const std::string& ca_pem, const pki::CertKeyPair* client = nullptr,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~TestClient();

  bool connected() const { return connected_; }
  uint16_t local_port() const { return local_port_; }

  // Sends one request (keep-alive) and reads the response. Errors come back as a Status.
  Result<Response> Request(http::verb method, const std::string& target, std::string body = "",
                           const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Raw bytes, for malformed and pipelined requests.
  Status WriteRaw(const std::string& data);
  Result<Response> ReadResponse();
  // Reads a response head, leaving the body for ReadChunk.
  Status ReadStreamHeader(int* status);
  // The next piece of chunk payload as it arrives; nullopt at the end of the body.
  Result<std::optional<std::string>> ReadChunk();
  // Reads raw decrypted bytes (at least one); kUnavailable on EOF.
  Result<std::string> ReadSome();
  // True when the server closed the connection (reads EOF or a TLS close) within the timeout.
  bool WaitForClose();
  void Close();

 private:
  template <typename Op>
  boost::system::error_code Run(Op&& op);

  boost::asio::io_context ioc_;
  boost::asio::ssl::context ctx_{boost::asio::ssl::context::tls_client};
  std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> stream_;
  boost::beast::flat_buffer buf_;
  std::unique_ptr<http::response_parser<http::string_body>> stream_parser_;
  std::function<std::size_t(std::uint64_t, boost::beast::string_view, boost::system::error_code&)>
      chunk_body_;
  std::string pending_chunk_;
  std::chrono::milliseconds timeout_;
  bool connected_ = false;
  uint16_t local_port_ = 0;
};

// Polls `pred` until true or `timeout`; returns its last value.
bool PollUntil(const std::function<bool()>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace capstan::apiserver::testing
