// `LocalExchangeSink` (local_exchange_sink.h): responses to the in-process client's futures,
// watch bodies to its event streams.
#include "core/apiserver/local_exchange_sink.h"

#include <strings.h>

#include <utility>

#include "core/client/api_status.h"

namespace capstan::apiserver {
namespace {

std::string ContentTypeOf(const HttpHeaders& headers) {
  for (const auto& [name, value] : headers) {
    if (strcasecmp(name.c_str(), "content-type") == 0) return value;
  }
  return "";
}

}  // namespace

LocalExchangeSink::LocalExchangeSink(std::shared_ptr<LocalThreads> threads,
                                     std::shared_ptr<client::WatchEventStream> events)
    : threads_(std::move(threads)), events_(std::move(events)) {}

std::shared_ptr<LocalExchangeSink> LocalExchangeSink::ForRequest(
    std::shared_ptr<LocalThreads> threads) {
  return std::shared_ptr<LocalExchangeSink>(new LocalExchangeSink(std::move(threads), nullptr));
}

std::shared_ptr<LocalExchangeSink> LocalExchangeSink::ForWatch(
    std::shared_ptr<LocalThreads> threads, std::shared_ptr<client::WatchEventStream> events) {
  return std::shared_ptr<LocalExchangeSink>(
      new LocalExchangeSink(std::move(threads), std::move(events)));
}

void LocalExchangeSink::Close(const Status& why) {
  if (events_ == nullptr) Complete(why);
  CloseExchange();
}

void LocalExchangeSink::Complete(Result<client::ApiResponse> result) {
  {
    std::lock_guard l(mu_);
    if (finished_) return;
    finished_ = true;
  }
  promise_.set_value(std::move(result));
}

void LocalExchangeSink::CloseExchange() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard l(mu_);
    if (completed_ || abandoned_) return;
    abandoned_ = true;
    state_->closed.store(true, std::memory_order_release);
    callbacks.swap(on_closed_);
  }
  for (auto& cb : callbacks) threads_->PostOrRun(std::move(cb));
}

void LocalExchangeSink::RunWritten(const std::function<void()>& on_written) {
  {
    std::lock_guard l(mu_);
    if (abandoned_) return;
  }
  on_written();
}

// ---- from the server ----

void LocalExchangeSink::PostRespond(StatePtr, int status, HttpHeaders headers, std::string body) {
  {
    std::lock_guard l(mu_);
    completed_ = true;
  }
  std::string content_type = ContentTypeOf(headers);
  if (events_ == nullptr) {
    Complete(client::ApiResponse{status, std::move(body), std::move(content_type)});
    return;
  }
  Enqueue({Item::kHead, status, "", std::move(content_type), nullptr});
  Enqueue({Item::kChunk, 0, std::move(body), "", nullptr});
  Enqueue({Item::kEnd, 0, "", "", nullptr});
}

void LocalExchangeSink::PostStartStream(StatePtr, int status, HttpHeaders headers) {
  if (events_ != nullptr) {
    Enqueue({Item::kHead, status, "", ContentTypeOf(headers), nullptr});
    return;
  }
  std::lock_guard l(mu_);
  status_ = status;
  content_type_ = ContentTypeOf(headers);
}

void LocalExchangeSink::PostChunk(StatePtr, std::string data, std::function<void()> on_written) {
  size_t n = data.size();
  if (events_ != nullptr) {
    Item item{Item::kChunk, 0, std::move(data), "", std::move(on_written)};
    item.accounted = n;
    Enqueue(std::move(item));
    return;
  }
  {
    std::lock_guard l(mu_);
    body_ += data;
  }
  state_->queued_bytes.fetch_sub(n, std::memory_order_acq_rel);
  // Never inside WriteChunk: a producer may hold its own lock while writing (list_stream.cc).
  if (on_written) {
    threads_->Post([self = shared_from_this(), on_written = std::move(on_written)] {
      self->RunWritten(on_written);
    });
  }
}

void LocalExchangeSink::PostEndStream(StatePtr) {
  client::ApiResponse response;
  {
    std::lock_guard l(mu_);
    completed_ = true;
    response = {status_, std::move(body_), content_type_};
  }
  if (events_ != nullptr) {
    Enqueue({Item::kEnd, 0, "", "", nullptr});
  } else {
    Complete(std::move(response));
  }
}

void LocalExchangeSink::PostCut(StatePtr) {
  if (events_ == nullptr) Complete(UnavailableError("response stream cut by the server"));
  CloseExchange();
  if (events_ != nullptr) Enqueue({Item::kCut, 0, "", "", nullptr});
}

void LocalExchangeSink::PostOnClosed(StatePtr, std::function<void()> callback) {
  {
    std::lock_guard l(mu_);
    if (completed_ && !abandoned_) return;  // never after a normal completion
    if (!abandoned_) {
      on_closed_.push_back(std::move(callback));
      return;
    }
  }
  threads_->PostOrRun(std::move(callback));
}

// ---- watch delivery ----

void LocalExchangeSink::Enqueue(Item item) {
  {
    std::lock_guard l(mu_);
    // After the client closed, only the cut's error still goes out; later chunks are dropped
    // (their `on_written` never runs, as on a closed socket).
    if (abandoned_ && item.kind != Item::kCut) return;
    if (item.kind == Item::kCut) queue_.clear();
    queue_.push_back(std::move(item));
    if (draining_) return;
    draining_ = true;
  }
  threads_->Post([self = shared_from_this()] { self->Drain(); });
}

void LocalExchangeSink::Drain() {
  // A busy watch yields its thread now and then so that other watches get their turn.
  constexpr int kItemsPerTurn = 64;
  for (int turn = 0;; ++turn) {
    if (turn == kItemsPerTurn) {
      if (threads_->Post([self = shared_from_this()] { self->Drain(); })) return;
      turn = 0;  // the client is closing: finish here
    }
    Item item;
    {
      std::lock_guard l(mu_);
      while (!queue_.empty() && abandoned_ && queue_.front().kind != Item::kCut) {
        queue_.pop_front();
      }
      if (queue_.empty()) {
        draining_ = false;
        return;
      }
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    if (!Deliver(item)) {
      CloseExchange();  // nothing when the server ended the stream itself
      std::lock_guard l(mu_);
      queue_.clear();
      draining_ = false;
      return;
    }
  }
}

bool LocalExchangeSink::Deliver(Item& item) {
  switch (item.kind) {
    case Item::kHead:
      watch_status_ = item.status;
      watch_content_type_ = std::move(item.content_type);
      return true;
    case Item::kChunk: {
      bool alive = true;
      if (watch_status_ == 200) {
        alive = events_->Append(item.data);
      } else {
        error_body_ += item.data;
      }
      if (item.accounted > 0) {
        state_->queued_bytes.fetch_sub(item.accounted, std::memory_order_acq_rel);
      }
      if (alive && item.on_written) RunWritten(item.on_written);
      return alive;
    }
    case Item::kEnd:
      if (watch_status_ == 200) {
        events_->Finish();
      } else {
        events_->End(client::StatusFromResponse(
            {watch_status_, std::move(error_body_), std::move(watch_content_type_)}));
      }
      return false;
    case Item::kCut:
      events_->End(
          UnavailableError("watch stream: cut by the server (the watcher fell too far behind)"));
      return false;
  }
  return false;
}

}  // namespace capstan::apiserver
