// `HttpExchange` (http_exchange.h): validates the response sequence with an atomic phase on
// the caller's thread, then passes the work to the sink (exchange_sink.h).
#include "core/apiserver/http_exchange.h"

namespace capstan::apiserver {

HttpExchange::HttpExchange(std::shared_ptr<ExchangeSink> sink, std::shared_ptr<ExchangeState> state,
                           HttpRequest request, size_t max_stream_queued_bytes)
    : sink_(std::move(sink)),
      state_(std::move(state)),
      request_(std::move(request)),
      max_stream_queued_bytes_(max_stream_queued_bytes) {}

HttpExchange::~HttpExchange() {
  if (Transition(ExchangeState::kPending, ExchangeState::kDone)) {
    sink_->PostRespond(
        state_, 500, {{"Content-Type", "application/json"}},
        ErrorStatusJson(500, "InternalError", "the request handler did not respond"));
  } else if (Transition(ExchangeState::kStreaming, ExchangeState::kDone)) {
    sink_->PostEndStream(state_);
  }
}

bool HttpExchange::Transition(int from, int to) {
  return state_->phase.compare_exchange_strong(from, to, std::memory_order_acq_rel);
}

bool HttpExchange::Respond(int status, HttpHeaders headers, std::string body) {
  if (!Transition(ExchangeState::kPending, ExchangeState::kDone)) return false;
  sink_->PostRespond(state_, status, std::move(headers), std::move(body));
  return true;
}

bool HttpExchange::StartStream(int status, HttpHeaders headers) {
  if (closed() || !Transition(ExchangeState::kPending, ExchangeState::kStreaming)) return false;
  sink_->PostStartStream(state_, status, std::move(headers));
  return true;
}

bool HttpExchange::WriteChunk(std::string data) { return WriteChunk(std::move(data), nullptr); }

bool HttpExchange::WriteChunk(std::string data, std::function<void()> on_written) {
  if (state_->phase.load(std::memory_order_acquire) != ExchangeState::kStreaming || closed()) {
    return false;
  }
  if (data.empty()) return true;
  size_t n = data.size();
  size_t before = state_->queued_bytes.fetch_add(n, std::memory_order_acq_rel);
  if (before + n > max_stream_queued_bytes_) {
    state_->queued_bytes.fetch_sub(n, std::memory_order_acq_rel);
    state_->closed.store(true, std::memory_order_release);
    sink_->PostCut(state_);
    return false;
  }
  sink_->PostChunk(state_, std::move(data), std::move(on_written));
  return true;
}

bool HttpExchange::EndStream() {
  if (!Transition(ExchangeState::kStreaming, ExchangeState::kDone)) return false;
  sink_->PostEndStream(state_);
  return true;
}

void HttpExchange::OnClosed(std::function<void()> callback) {
  sink_->PostOnClosed(state_, std::move(callback));
}

bool HttpExchange::TakeOverSocket(std::function<void(TakenSocket)> on_taken) {
  if (!sink_->CanTakeOverSocket()) return false;
  if (!Transition(ExchangeState::kPending, ExchangeState::kUpgraded)) return false;
  sink_->PostTakeOver(state_, std::move(on_taken));
  return true;
}

}  // namespace capstan::apiserver
