// Internal to the HTTPS server: `HttpRuntime` (state shared by the server, its connections and
// exchanges) and `HttpConnection` (one TLS connection: handshake, request parsing, response
// queue, timeouts, streams, upgrade hand-over). Public API: http_server.h, http_exchange.h.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/apiserver/http_beast.h"
#include "core/apiserver/http_exchange.h"
#include "core/apiserver/http_server.h"

namespace capstan::apiserver {

class HttpConnection;

// Owned jointly by the server and every connection, so the io_context outlives any
// connection a handler still references. Registry methods are thread-safe (mutex).
struct HttpRuntime {
  HttpServerOptions options;
  HttpHandler handler;
  std::shared_ptr<SSL_CTX> tls;
  // One io_context per io thread, each run by exactly that thread: a connection lives on one
  // context for its life, so its handlers never hop threads (no wake-ups of a second thread per
  // request) and need no strand. Other threads reach it by posting to its context.
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
  std::atomic<bool> stopping{false};  // Stop() began: no new keep-alive, no new accepts
  std::atomic<bool> stopped{false};   // io threads gone: exchanges must not post any more

  explicit HttpRuntime(int threads) {
    for (int i = 0; i < threads; ++i) {
      contexts.push_back(std::make_unique<boost::asio::io_context>(1));
    }
  }
  // Round-robin choice of the context for a new connection.
  boost::asio::io_context& NextContext() {
    return *contexts[next_context_.fetch_add(1, std::memory_order_relaxed) % contexts.size()];
  }

  uint64_t Register(const std::shared_ptr<HttpConnection>& connection);
  void Unregister(uint64_t id);
  std::vector<std::shared_ptr<HttpConnection>> Snapshot();
  size_t OpenCount();
  // Waits until no connection is open or `deadline` passes; returns true when none is open.
  bool WaitAllClosed(std::chrono::steady_clock::time_point deadline);

 private:
  std::atomic<size_t> next_context_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::weak_ptr<HttpConnection>> open_;
};

// Every private method runs on the connection's strand; public `Post*` methods may be called
// from any thread and post there. The `ExchangeSink` of the exchanges it dispatches.
class HttpConnection final : public ExchangeSink,
                             public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(std::shared_ptr<HttpRuntime> runtime, boost::asio::ip::tcp::socket socket);
  ~HttpConnection() override;

  void Start();
  void PostBeginShutdown();
  void PostForceClose();

  // ExchangeSink
  void PostRespond(StatePtr state, int status, HttpHeaders headers, std::string body) override;
  void PostStartStream(StatePtr state, int status, HttpHeaders headers) override;
  void PostChunk(StatePtr state, std::string data, std::function<void()> on_written) override;
  void PostEndStream(StatePtr state) override;
  void PostCut(StatePtr state) override;
  void PostOnClosed(StatePtr state, std::function<void()> callback) override;
  bool CanTakeOverSocket() const override { return true; }
  void PostTakeOver(StatePtr state, std::function<void(TakenSocket)> callback) override;

 private:
  using Clock = std::chrono::steady_clock;
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  struct OutItem {
    std::string data;
    StatePtr account;  // stream chunk whose payload counts toward queued_bytes
    size_t accounted = 0;
    std::function<void()> on_written;  // runs once the item is on the socket
  };

  template <typename F>
  void Post(F&& f);

  void OnHandshake(const boost::system::error_code& ec);
  bool ShouldRead() const;
  void DoRead();
  void OnRead(const boost::system::error_code& ec, size_t n);
  void ProcessInput();
  void MaybeSendContinue();
  void Dispatch();
  void FailRequest(int status, std::string_view reason, std::string_view message);
  void Enqueue(std::string data, StatePtr account = nullptr, size_t accounted = 0,
               std::function<void()> on_written = nullptr);
  void DoWrite();
  void OnWrite(const boost::system::error_code& ec);
  void FinishExchange(bool close);
  void Respond(const StatePtr& state, int status, const HttpHeaders& headers, std::string body);
  void StartStream(const StatePtr& state, int status, const HttpHeaders& headers);
  void Chunk(const StatePtr& state, std::string data, std::function<void()> on_written);
  void EndStream(const StatePtr& state);
  void BeginShutdown();
  void TakeOver(const StatePtr& state, std::function<void(TakenSocket)> callback);
  void CompleteTakeOver();
  void GracefulClose();
  void Drain();
  void Close();
  void AbortExchange();
  void SetReadDeadline(std::chrono::milliseconds after);
  void UpdateTimer();
  void OnTimer(const boost::system::error_code& ec, uint64_t generation);

  const std::shared_ptr<HttpRuntime> runtime_;
  const HttpServerOptions& options_;
  // The connection's single-threaded io_context; copied so any thread may post to it.
  const boost::asio::any_io_executor executor_;
  TlsStream stream_;
  boost::asio::steady_timer timer_;
  boost::beast::flat_buffer read_buf_;
  std::optional<Parser> parser_;
  uint64_t id_ = 0;
  std::string remote_ip_;
  uint16_t remote_port_ = 0;
  TlsPeer peer_;

  // Current exchange (at most one: requests are served in order).
  StatePtr current_;
  std::vector<std::function<void()>> on_closed_;
  bool current_keep_alive_ = true;
  bool current_head_ = false;
  bool current_http10_ = false;
  bool current_upgrade_ = false;
  bool streaming_ = false;  // StartStream's head is queued
  bool stream_chunked_ = false;
  bool stream_close_ = false;
  std::function<void(TakenSocket)> takeover_;

  std::vector<OutItem> queue_;
  std::vector<OutItem> inflight_;
  std::string coalesced_;
  std::unique_ptr<char[]> linger_buf_;  // set while draining before close

  Clock::time_point read_deadline_ = Clock::time_point::max();
  Clock::time_point write_deadline_ = Clock::time_point::max();
  uint64_t timer_generation_ = 0;
  bool timer_pending_ = false;

  size_t read_want_ = 0;
  bool last_read_filled_ = false;
  bool handshaken_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool continue_sent_ = false;
  bool close_after_write_ = false;
  bool shutting_down_ = false;  // TLS close_notify in progress
  bool closed_ = false;
  bool taken_ = false;
};

}  // namespace capstan::apiserver
