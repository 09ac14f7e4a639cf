// `ProxyServer`: the data plane of the built-in ingress — HTTP/1.1 reverse proxy listeners
// (plain and TLS) on Boost.Beast/Asio. A fixed pool of io threads runs one coroutine per client
// connection (no thread per request); request and response bodies stream through in 16 KiB
// pieces (chunked both ways), upstream connections are pooled per endpoint. Routing comes from
// the `RouteTable` snapshot (route_table.h) swapped in by ingress_controller.cc; TLS contexts
// and SNI from tls_store.h. Implementation: proxy_server.cc, proxy_session.cc.
// Tests: tests/core/ingress/proxy_server_test.cc; benchmark: bench/ingress_bench.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/common/status.h"
#include "core/ingress/route_table.h"
#include "core/ingress/tls_store.h"

namespace capstan::ingress {

struct ProxyOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal; "0.0.0.0" / "::" for all
  int http_port = 80;                 // 0 picks a free port; -1 disables the listener
  int https_port = 443;               // 0 picks a free port; -1 disables the listener
  int io_threads = 2;
  std::chrono::milliseconds idle_timeout{60'000};    // keep-alive wait for the next request
  std::chrono::milliseconds io_timeout{60'000};      // one read or write making no progress
  std::chrono::milliseconds connect_timeout{5'000};  // dialling one upstream endpoint
  std::chrono::milliseconds upstream_idle{30'000};   // a pooled connection older is not reused
  size_t max_idle_per_endpoint = 64;
};

// Counters for tests, metrics and the benchmark.
struct ProxyStats {
  uint64_t requests = 0;        // requests whose head was read
  uint64_t upstream_dials = 0;  // upstream connections opened (pool misses)
  uint64_t not_found = 0;       // 404 answers
  uint64_t unavailable = 0;     // 503 answers (no ready endpoint)
  uint64_t bad_gateway = 0;     // 502 answers (no endpoint reachable)
};

// Answers, per request: 404 when no rule and no default backend matches, 503 when the
// matched backend has no ready endpoint (or names a missing Service or port), 502 when no
// endpoint accepts a connection (up to 3 are tried). Adds X-Forwarded-For, -Proto, -Host and
// -Port; drops hop-by-hop headers; answers `Expect: 100-continue` itself. Upgrades (WebSocket)
// are not proxied.
//
// Thread-safety: `SetRoutes`, `stats`, the port accessors may be called from any thread;
// `Stop` from any thread but an io thread.
class ProxyServer {
 public:
  // Binds the enabled listeners and starts the io threads. `tls` is borrowed (it must outlive
  // the server) and may be null only when https_port is -1. Errors: kInvalid for a bad address
  // or no listener; kUnavailable naming the listener ("https listener 0.0.0.0:443: Address
  // already in use") when a port cannot be bound.
  static Result<std::unique_ptr<ProxyServer>> Start(ProxyOptions options, TlsStore* tls);
  ~ProxyServer();  // Stop()s
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Replaces the routing snapshot; requests whose head is read afterwards use it.
  void SetRoutes(std::shared_ptr<const RouteTable> routes);
  std::shared_ptr<const RouteTable> routes() const;

  // Bound ports (the real ones when 0 was asked); 0 for a disabled listener.
  uint16_t http_port() const { return http_port_; }
  uint16_t https_port() const { return https_port_; }
  ProxyStats stats() const;

  // Closes the listeners, ends every connection and joins the io threads. Idempotent.
  void Stop();

  struct Impl;

 private:
  ProxyServer() = default;

  std::shared_ptr<Impl> impl_;
  std::vector<std::thread> threads_;
  uint16_t http_port_ = 0;
  uint16_t https_port_ = 0;
  bool stopped_ = false;
};

}  // namespace capstan::ingress
