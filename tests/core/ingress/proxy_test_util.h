// Test helpers for tests/core/ingress: `TestBackend`, a tiny HTTP/1.1 server on 127.0.0.1:0
// that reports what it received, and `TestHttpClient`, a blocking keep-alive client (plain or
// TLS with SNI) with timeouts. Test-only code: a thread per backend connection is fine here.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/apiserver/http_beast.h"
#include "core/common/status.h"
#include "core/pki/certificate.h"

namespace capstan::ingress::testing {

// Answers every request with 200 and a body "<name> <method> <target> xff=<X-Forwarded-For>
// proto=<X-Forwarded-Proto> fhost=<X-Forwarded-Host> len=<request body bytes>". `GET
// /stream/N` answers N chunks "piece-<i>\n" (chunked). Thread-safe counters.
class TestBackend {
 public:
  explicit TestBackend(std::string name);
  ~TestBackend();
  uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }

 private:
  void Serve(boost::asio::ip::tcp::socket& socket);

  std::string name_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_thread_;
  std::mutex mu_;
  std::vector<std::thread> threads_;                                    // guarded by mu_
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;  // guarded by mu_
};

struct ClientResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
};

// One connection; each Request reuses it (keep-alive) until the server closes it.
class TestHttpClient {
 public:
  // Plain HTTP when `tls` is false; otherwise TLS sending `sni` (when not empty) and
  // accepting any certificate (tests inspect it with PeerCommonName).
  explicit TestHttpClient(uint16_t port, bool tls = false, std::string sni = "",
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));
  Status Connect();
  Result<ClientResponse> Request(boost::beast::http::verb method, const std::string& host,
                                 const std::string& target, std::string body = "",
                                 bool chunked = false);
  Result<ClientResponse> Get(const std::string& host, const std::string& target) {
    return Request(boost::beast::http::verb::get, host, target);
  }
  // Plain HTTP only: true when the server closes the connection within the timeout.
  bool WaitForClose();
  // The common name of the certificate the server presented (TLS only).
  std::string PeerCommonName();

 private:
  uint16_t port_;
  bool tls_;
  std::string sni_;
  std::chrono::milliseconds timeout_;
  boost::asio::io_context io_;
  boost::asio::ssl::context ctx_{boost::asio::ssl::context::tls_client};
  std::unique_ptr<boost::beast::tcp_stream> plain_;
  std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> secure_;
  boost::beast::flat_buffer buf_;
};

// Object builders (namespace "default"). A selector-less Service `name` with one port named
// "http" (80); its EndpointSlice sending that port to `port` on each of `addresses`.
nlohmann::json ServiceJson(const std::string& name);
nlohmann::json SliceJson(const std::string& service, uint16_t port,
                         const std::vector<std::string>& addresses);
// An Ingress with `rules` (IngressRule JSON) and, optionally, `ingressClassName`.
nlohmann::json IngressJson(const std::string& name, nlohmann::json rules,
                           const std::string& class_name = "");
// One IngressRule: `host` (may be empty) with Prefix paths mapping path -> Service (port 80).
nlohmann::json RuleJson(const std::string& host,
                        const std::vector<std::pair<std::string, std::string>>& paths);
// A kubernetes.io/tls Secret holding a certificate for `host` (CN = host) from a fresh CA.
nlohmann::json TlsSecretJson(const std::string& name, const std::string& host);

}  // namespace capstan::ingress::testing
