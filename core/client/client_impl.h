// Private to core/client: the ApiClient implementation shared by client_connection.cc (TLS,
// pool, Request) and client_watch.cc (streaming watches). Not part of the public API.
// Concurrency: one io_context run by a fixed set of threads; each connection's operations run
// on its own strand; the pool state is behind `mu_`.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/client/api_client.h"
#include "core/client/kubeconfig.h"

namespace capstan::client::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Strand = asio::strand<asio::io_context::executor_type>;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One TLS connection. Its operations run on `strand`; between requests (idle in the pool) no
// operation is pending, so the pool may inspect the socket from any thread.
struct Connection : std::enable_shared_from_this<Connection> {
  Connection(asio::io_context& ioc, ssl::context& ctx);
  // True when the server closed the connection (or sent something unsolicited) while idle.
  bool PeerClosed();
  // Closes the socket on the strand (cancels pending operations).
  void Close();

  Strand strand;
  TlsStream stream;
  beast::flat_buffer buffer;
  bool connected = false;
  Clock::time_point idle_since;
};

using ConnectionPtr = std::shared_ptr<Connection>;
// Receives a connection from the pool (null when the client is closing) and whether it was
// reused (an idle keep-alive connection) or is new (not yet connected).
using AcquireCallback = std::function<void(ConnectionPtr, bool reused)>;

class WatchState;

class ClientImpl final : public ApiClient {
 public:
  ClientImpl(ClientConfig config, ServerAddress address, ApiClientOptions options);
  ~ClientImpl() override;
  // Loads the CA and client credentials into the TLS context and starts the io threads.
  Status Init();

  Result<ApiResponse> Request(std::string_view method, std::string_view path,
                              std::string_view content_type, std::string body,
                              std::chrono::milliseconds timeout) override;
  std::unique_ptr<WatchHandle> Watch(std::string path_with_query, WatchEventCallback on_event,
                                     WatchEndCallback on_end) override;
  const ClientConfig& config() const override { return config_; }
  int OpenConnections() const override;
  int64_t ConnectionsOpened() const override { return opened_.load(); }

  // Pool (client_connection.cc).
  void Acquire(AcquireCallback cb);
  void Release(ConnectionPtr conn, bool reusable);
  // Resolves, connects and handshakes `conn` (on its strand) by `deadline`; `done` gets an
  // error and the stage that failed ("connect", "TLS handshake").
  void Connect(const ConnectionPtr& conn, Clock::time_point deadline,
               std::function<void(beast::error_code, const char* stage)> done);
  // A connection outside the pool (for a watch).
  ConnectionPtr NewDedicatedConnection();
  // Common request headers: Host, User-Agent, Authorization.
  template <typename Body>
  void SetHeaders(http::request<Body>& req) const {
    req.set(http::field::host, host_header_);
    req.set(http::field::user_agent, options_.user_agent);
    if (!config_.bearer_token.empty()) {
      req.set(http::field::authorization, "Bearer " + config_.bearer_token);
    }
  }
  std::string FullPath(std::string_view path) const {
    return address_.path_prefix + std::string(path);
  }
  std::chrono::milliseconds default_timeout() const { return options_.default_timeout; }
  asio::io_context& ioc() { return ioc_; }

 private:
  void Shutdown();
  // client_watch.cc: stops every watch still running (the client is being destroyed).
  static void StopWatches(std::vector<std::weak_ptr<WatchState>>& watches);

  ClientConfig config_;
  ServerAddress address_;
  ApiClientOptions options_;
  std::string host_header_;
  std::string verify_name_;  // name or IP the server certificate must carry
  bool verify_is_ip_ = false;

  asio::io_context ioc_;
  ssl::context ssl_ctx_{ssl::context::tls_client};
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;

  mutable std::mutex mu_;  // guards the pool state below
  std::vector<ConnectionPtr> idle_;
  std::deque<AcquireCallback> waiters_;
  int open_ = 0;
  bool closing_ = false;
  std::vector<std::weak_ptr<WatchState>> watches_;
  std::atomic<int64_t> opened_{0};
};

}  // namespace capstan::client::internal
