// `HttpServer`: the HTTPS/1.1 front end of the API server on Boost.Beast/Asio. A fixed pool of
// io threads serves every connection (keep-alive, pipelining, chunked streams) with no thread
// per request; each parsed request reaches the handler as an `HttpExchange`
// (http_exchange.h). Connection logic: http_connection.cc; TLS: http_tls.h.
// Tests: tests/core/apiserver/http_server_test.cc and neighbours; benchmark: bench/http_bench.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/apiserver/http_exchange.h"
#include "core/apiserver/http_tls.h"
#include "core/common/status.h"

namespace capstan::apiserver {

struct HttpServerOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal; "0.0.0.0" / "::" for all
  uint16_t port = 0;                  // 0 picks a free port; see HttpServer::port()
  int io_threads = 2;
  HttpTlsConfig tls;  // required: serving certificate and key

  size_t max_body_bytes = 3u << 20;     // larger bodies get 413 and the connection closes
  size_t max_header_bytes = 64u << 10;  // request line + headers; larger gets 431
  // Per streaming exchange: bytes queued but not yet written before the stream is cut (see
  // HttpExchange::WriteChunk).
  size_t max_stream_queued_bytes = 4u << 20;

  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{90'000};     // keep-alive wait for the next request
  std::chrono::milliseconds request_timeout{60'000};  // first byte to complete request
  std::chrono::milliseconds write_timeout{60'000};    // one write making no progress
};

// Called on an io thread (the connection's strand) for every complete request. It must not
// block: answer at once, or keep the exchange and answer later from any thread. The
// exchange's request is immutable. A handler that throws gets 500 (we never let an
// exception escape into Asio).
using HttpHandler = std::function<void(std::shared_ptr<HttpExchange>)>;

struct HttpRuntime;

// Thread-safety: `port()`, `address()` and `open_connections()` may be called from any thread;
// `Stop()` from any one thread except the server's own io threads (it joins them).
// Connection handling: a failed TLS handshake (including plain HTTP sent to this port) just
// closes the connection; a malformed request gets 400, an oversized body 413 and oversized
// headers 431, each with a `metav1.Status` body and "Connection: close".
class HttpServer {
 public:
  // Binds, listens and starts the io threads. Errors: kInvalid for a bad address or option,
  // kBadRequest/kInvalid for bad TLS material (see MakeServerTlsContext), kUnavailable when the
  // address cannot be bound ("Address already in use").
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, HttpHandler handler);

  // Stops with no grace period if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the real one when options.port was 0).
  uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }

  // Connections currently served (handshaking, idle or active; not those taken over).
  size_t open_connections() const;

  // Graceful stop, blocking, idempotent:
  //  1. stops accepting;
  //  2. closes idle connections; a request in progress still gets its response, sent with
  //     "Connection: close"; open streams are ended (terminating chunk) and their OnClosed
  //     callbacks run so watchers can release their exchanges;
  //  3. after `grace`, closes whatever is left, then joins the io threads.
  // Exchanges still held by handlers stay valid objects but do nothing afterwards.
  // Sockets taken over by `TakeOverSocket` are not tracked: their owners must end them
  // before calling Stop, or they are severed when the io threads stop.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  HttpServer() = default;
  void Accept();

  std::shared_ptr<HttpRuntime> runtime_;
  struct Listener;
  std::unique_ptr<Listener> listener_;
  std::vector<std::thread> threads_;
  std::string address_;
  uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace capstan::apiserver
