// HTTPS clients for bench/apiserver_bench.cc: `SyncClient`, one blocking keep-alive TLS
// connection per benchmark thread (Boost.Beast), and `WatchFleet`, many streaming watch
// connections on plain Asio TLS sockets, driven by a few io threads that timestamp every event as
// it arrives. Both trust the benchmark's CA and present no client certificate (anonymous).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__)
// Boost 1.74's parser trips a false -Wmaybe-uninitialized under GCC 12 with sanitizers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "core/common/status.h"

namespace capstan::bench {

using SteadyClock = std::chrono::steady_clock;
namespace http = boost::beast::http;

struct ClientResponse {
  int status = 0;  // 0: transport error, see `error`
  std::string body;
  std::string error;
  // When the response head was parsed (about the first byte: the head and the first body bytes
  // travel in one TLS record).
  SteadyClock::time_point head_at;
};

// Not thread-safe: one per thread. Blocking calls, no timeouts (the server is in-process).
class SyncClient {
 public:
  explicit SyncClient(const std::string& ca_pem);
  ~SyncClient();
  SyncClient(const SyncClient&) = delete;
  SyncClient& operator=(const SyncClient&) = delete;

  // Connects to 127.0.0.1:`port` and completes the TLS handshake. Errors: kUnavailable.
  Status Connect(uint16_t port);
  // One request on the kept-alive connection. A transport error leaves the client unusable.
  ClientResponse Request(http::verb method, std::string_view target, std::string body = "",
                         std::string_view content_type = "application/json");

 private:
  boost::asio::io_context ioc_;
  boost::asio::ssl::context ctx_{boost::asio::ssl::context::tls_client};
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> stream_;
  boost::beast::flat_buffer buf_;
};

// One watch event as a watcher saw it: the event's resourceVersion and its arrival time.
struct WatchArrival {
  int64_t revision = 0;
  SteadyClock::time_point at;
};

class WatchConnection;

// Thread-safety: `Open`, `Close` and `Arrivals` from one controlling thread; the progress
// getters from any thread.
class WatchFleet {
 public:
  WatchFleet(const std::string& ca_pem, int io_threads);
  ~WatchFleet();
  WatchFleet(const WatchFleet&) = delete;
  WatchFleet& operator=(const WatchFleet&) = delete;

  // Opens `count` connections to 127.0.0.1:`port`, each sending GET `target` (a watch URL), and
  // waits until every one has its response head or failed, at most `timeout`. Returns how many
  // streams are open with status 200.
  size_t Open(uint16_t port, const std::string& target, size_t count,
              std::chrono::milliseconds timeout);
  // Smallest last-seen revision over the open streams (0 before any event).
  int64_t MinLastRevision() const;
  // CPU seconds the fleet's io threads used so far.
  double CpuSeconds();
  // Closes every connection and joins the io threads. Idempotent.
  void Close();
  // Per connection, the events it received (call after Close).
  std::vector<std::vector<WatchArrival>> Arrivals() const;
  size_t failed() const;

 private:
  boost::asio::ssl::context ctx_{boost::asio::ssl::context::tls_client};
  boost::asio::io_context ioc_;
  std::vector<std::shared_ptr<WatchConnection>> connections_;
  std::vector<std::thread> threads_;
  int io_threads_;
  bool closed_ = false;
};

// CPU seconds of the calling thread / of the process so far.
double ThreadCpuSeconds();
double ProcessCpuSeconds();
// CPU seconds of another thread of this process.
double CpuSecondsOf(std::thread& thread);

}  // namespace capstan::bench
