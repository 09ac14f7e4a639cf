// Internal to the ingress proxy: the shared `ProxyServer::Impl` (io_context, listeners,
// routes, upstream pool, counters) and the session entry point. Public API: proxy_server.h.
// Listeners: proxy_server.cc; one client connection: proxy_session.cc.
#pragma once

// Boost 1.74 enables C++20 coroutine support only for GCC; clang (clang-tidy) has it too.
#if defined(__clang__) && !defined(BOOST_ASIO_HAS_CO_AWAIT)
#define BOOST_ASIO_HAS_CO_AWAIT 1
#endif

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/ingress/proxy_server.h"

namespace capstan::ingress {

// Idle keep-alive connections to upstream endpoints, keyed "address:port". Thread-safe (one
// mutex). Sockets live on the server's io_context; a taker drives them from its own coroutine.
class UpstreamPool {
 public:
  UpstreamPool(size_t max_per_endpoint, std::chrono::milliseconds max_idle)
      : max_per_endpoint_(max_per_endpoint), max_idle_(max_idle) {}
  // An idle connection to `key` that is younger than max_idle, or nullopt.
  std::optional<boost::asio::ip::tcp::socket> Take(const std::string& key);
  // Returns a connection whose last exchange completed cleanly; dropped when the pool is full.
  void Put(const std::string& key, boost::asio::ip::tcp::socket socket);
  // Closes every idle connection.
  void Clear();

 private:
  struct Idle {
    boost::asio::ip::tcp::socket socket;
    std::chrono::steady_clock::time_point since;
  };
  const size_t max_per_endpoint_;
  const std::chrono::milliseconds max_idle_;
  std::mutex mu_;
  std::map<std::string, std::vector<Idle>> idle_;  // guarded by mu_; newest last
};

struct ProxyServer::Impl {
  explicit Impl(ProxyOptions o, TlsStore* t)
      : options(std::move(o)),
        tls(t),
        io(options.io_threads),
        pool(options.max_idle_per_endpoint, options.upstream_idle) {}

  std::shared_ptr<const RouteTable> Routes() {
    std::lock_guard<std::mutex> lock(routes_mu);
    return routes;
  }

  const ProxyOptions options;
  TlsStore* const tls;
  boost::asio::io_context io;
  UpstreamPool pool;
  std::optional<boost::asio::ip::tcp::acceptor> http_acceptor;
  std::optional<boost::asio::ip::tcp::acceptor> https_acceptor;
  std::atomic<bool> stopping{false};

  std::mutex routes_mu;
  std::shared_ptr<const RouteTable> routes;  // guarded by routes_mu

  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> upstream_dials{0};
  std::atomic<uint64_t> not_found{0};
  std::atomic<uint64_t> unavailable{0};
  std::atomic<uint64_t> bad_gateway{0};
};

// Serves one accepted client connection until it closes (proxy_session.cc). With `tls`, runs
// the TLS handshake on `impl->tls->default_context()` first.
// `impl` is borrowed: sessions are suspended coroutines owned by `impl->io`, destroyed with it.
void StartSession(ProxyServer::Impl* impl, boost::asio::ip::tcp::socket socket, bool tls);

}  // namespace capstan::ingress
