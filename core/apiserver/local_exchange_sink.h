// `LocalExchangeSink`: the `ExchangeSink` (exchange_sink.h) of one exchange that an in-process
// `ApiClient` (local_api_client.h) hands straight to the API server's handler — no socket, TLS
// or HTTP text. A request's response completes the client's future; a watch's chunks feed a
// `client::WatchEventStream` on the client's threads (local_threads.h), serially, with a bounded
// backlog. Tests: tests/core/apiserver/local_api_client_test.cc.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/apiserver/exchange_sink.h"
#include "core/apiserver/local_threads.h"
#include "core/client/api_client.h"
#include "core/client/watch_event_stream.h"
#include "core/common/status.h"

namespace capstan::apiserver {

// Thread-safety: the ExchangeSink methods may be called from any thread (the server's); the
// client-side methods (`response`, `Close`) from any thread. Nothing here calls back into the
// server or the watch while holding the sink's lock.
class LocalExchangeSink final : public ExchangeSink,
                                public std::enable_shared_from_this<LocalExchangeSink> {
 public:
  // A blocking request: `response()` completes with the whole response (a streamed one — a
  // large LIST — is assembled; `on_written` callbacks run on `threads` as each chunk is taken).
  static std::shared_ptr<LocalExchangeSink> ForRequest(std::shared_ptr<LocalThreads> threads);
  // A watch: a 200 body goes to `events` chunk by chunk on `threads`, one delivery at a time,
  // then `Finish()` on a clean end; a non-200 response ends `events` with its mapped status.
  // Chunks not yet delivered count toward `max_queued_bytes` (HttpExchange's bound); past it
  // the server cuts the stream and `events` ends with kUnavailable, so informers re-list.
  static std::shared_ptr<LocalExchangeSink> ForWatch(
      std::shared_ptr<LocalThreads> threads, std::shared_ptr<client::WatchEventStream> events);

  // The state to build the exchange with.
  const std::shared_ptr<ExchangeState>& state() const { return state_; }
  // Request mode: completes once the response is complete, or with the status given to
  // Close(). Call once.
  std::future<Result<client::ApiResponse>> response() { return promise_.get_future(); }
  // The client side gives up (timeout, Stop(), client destroyed): a pending request completes
  // with `why`; unless the response already completed, the exchange is marked closed (the
  // server's writes fail from now on) and its OnClosed callbacks run on the client's threads.
  // Idempotent.
  void Close(const Status& why);

  // ExchangeSink
  void PostRespond(StatePtr state, int status, HttpHeaders headers, std::string body) override;
  void PostStartStream(StatePtr state, int status, HttpHeaders headers) override;
  void PostChunk(StatePtr state, std::string data, std::function<void()> on_written) override;
  void PostEndStream(StatePtr state) override;
  void PostCut(StatePtr state) override;
  void PostOnClosed(StatePtr state, std::function<void()> callback) override;
  bool CanTakeOverSocket() const override { return false; }
  void PostTakeOver(StatePtr, std::function<void(TakenSocket)>) override {}

 private:
  // What the server sent, in order, for the watch's delivery loop.
  struct Item {
    enum Kind { kHead, kChunk, kEnd, kCut } kind = kHead;
    int status = 0;  // kHead
    std::string data;
    std::string content_type;  // kHead
    std::function<void()> on_written;
    size_t accounted = 0;  // bytes of `data` counted in `queued_bytes`
  };

  LocalExchangeSink(std::shared_ptr<LocalThreads> threads,
                    std::shared_ptr<client::WatchEventStream> events);

  // Watch mode: queues `item` and schedules the delivery loop when idle.
  void Enqueue(Item item);
  // Watch mode, on a client thread: delivers queued items until the queue is empty.
  void Drain();
  // Delivers one item; false once the watch is over.
  bool Deliver(Item& item);
  // Request mode: completes the future (first call wins).
  void Complete(Result<client::ApiResponse> result);
  // Marks the exchange closed and runs the OnClosed callbacks, unless it completed normally.
  void CloseExchange();
  // Runs `on_written` on a client thread unless the exchange ended abnormally first.
  void RunWritten(const std::function<void()>& on_written);

  const std::shared_ptr<LocalThreads> threads_;
  const std::shared_ptr<client::WatchEventStream> events_;  // null in request mode
  const std::shared_ptr<ExchangeState> state_ = std::make_shared<ExchangeState>();
  std::promise<Result<client::ApiResponse>> promise_;

  std::mutex mu_;           // guards everything below
  bool completed_ = false;  // the response ended normally (Respond / EndStream)
  bool finished_ = false;   // request mode: the promise is set
  bool abandoned_ = false;  // ended abnormally (Close or cut): OnClosed callbacks ran
  std::vector<std::function<void()>> on_closed_;
  // Request mode: the response being assembled.
  int status_ = 0;
  std::string content_type_;
  std::string body_;
  // Watch mode: items not yet delivered, and whether a delivery loop is scheduled.
  std::deque<Item> queue_;
  bool draining_ = false;
  // Watch mode, touched only by the (serial) delivery loop.
  int watch_status_ = 0;
  std::string watch_content_type_;
  std::string error_body_;  // the body of a non-200 streamed response
};

}  // namespace capstan::apiserver
