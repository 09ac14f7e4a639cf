// Paced chunked LIST bodies (list_stream.h).
#include "core/apiserver/list_stream.h"

#include <utility>

namespace capstan::apiserver {
namespace {

// The producer: shared by the chunks in flight; each written chunk builds the next one.
class ListStream : public std::enable_shared_from_this<ListStream> {
 public:
  ListStream(std::shared_ptr<HttpExchange> exchange, std::string head,
             std::vector<CachedObjectPtr> items, std::string tail)
      : exchange_(std::move(exchange)),
        head_(std::move(head)),
        items_(std::move(items)),
        tail_(std::move(tail)) {}

  // Queues the next chunk (the last one ends the stream). Runs on a worker first, then on the
  // connection's strand from written-callbacks; one chunk is built at a time.
  void Pump() {
    std::lock_guard lock(mu_);
    if (done_) return;
    std::string chunk;
    chunk.reserve(kListChunkBytes + 64u * 1024);
    if (next_ == 0) chunk += head_;
    while (next_ < items_.size() && chunk.size() < kListChunkBytes) {
      if (next_ > 0) chunk += ',';
      chunk += items_[next_]->json;
      items_[next_].reset();  // sent: let the cache free it if it moved on
      ++next_;
    }
    if (next_ == items_.size()) {
      chunk += tail_;
      done_ = true;
      exchange_->WriteChunk(std::move(chunk));
      exchange_->EndStream();
      exchange_.reset();
      return;
    }
    exchange_->WriteChunk(std::move(chunk), [self = shared_from_this()] { self->Pump(); });
  }

 private:
  std::mutex mu_;
  std::shared_ptr<HttpExchange> exchange_;
  std::string head_;
  std::vector<CachedObjectPtr> items_;
  std::string tail_;
  size_t next_ = 0;
  bool done_ = false;
};

}  // namespace

void SendList(const std::shared_ptr<HttpExchange>& exchange, int status, HttpHeaders headers,
              std::string head, std::vector<CachedObjectPtr> items, std::string tail) {
  size_t total = head.size() + tail.size();
  for (const CachedObjectPtr& o : items) total += o->json.size() + 1;
  if (total <= kListStreamThreshold) {
    std::string body;
    body.reserve(total);
    body += head;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) body += ',';
      body += items[i]->json;
    }
    body += tail;
    exchange->Respond(status, std::move(headers), std::move(body));
    return;
  }
  if (!exchange->StartStream(status, std::move(headers))) return;
  auto stream =
      std::make_shared<ListStream>(exchange, std::move(head), std::move(items), std::move(tail));
  stream->Pump();
  stream->Pump();  // two chunks in flight: the next is ready when the socket drains
}

}  // namespace capstan::apiserver
