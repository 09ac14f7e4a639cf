// LogStream (log_stream.h): the poll loop behind `kubectl logs [-f]`.
#include "core/agent/server/log_stream.h"

#include <boost/asio/post.hpp>
#include <utility>

namespace capstan::agent::server {
namespace {

// Per tick; bounds memory and keeps the exchange's queue well under its back-pressure cut.
constexpr size_t kReadBytes = 256 << 10;

}  // namespace

LogStream::LogStream(boost::asio::io_context& ioc,
                     std::shared_ptr<apiserver::HttpExchange> exchange,
                     std::unique_ptr<LogReader> reader, bool follow,
                     std::function<bool()> container_done, std::chrono::milliseconds poll)
    : ioc_(ioc),
      timer_(ioc),
      exchange_(std::move(exchange)),
      reader_(std::move(reader)),
      follow_(follow),
      container_done_(std::move(container_done)),
      poll_(poll) {}

void LogStream::Start() {
  // Every exchange call is made from the pump thread: the exchange orders calls per calling
  // thread only, so a head sent from the io thread could trail a chunk sent from here.
  boost::asio::post(ioc_, [self = shared_from_this()] {
    if (!self->exchange_->StartStream(200, {{"Content-Type", "text/plain"}})) return;
    std::weak_ptr<LogStream> weak = self;
    // A client that leaves stops the timer at once rather than at the next poll.
    self->exchange_->OnClosed([weak, &ioc = self->ioc_] {
      boost::asio::post(ioc, [weak] {
        if (auto s = weak.lock()) s->End();
      });
    });
    self->Tick();
  });
}

void LogStream::Schedule(std::chrono::milliseconds delay) {
  timer_.expires_after(delay);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->Tick();
  });
}

void LogStream::End() {
  if (ended_) return;
  ended_ = true;
  timer_.cancel();
  exchange_->EndStream();
}

void LogStream::Tick() {
  if (ended_) return;
  if (exchange_->closed()) return End();
  // Asked before reading: data written before the container ended is then read below.
  bool done = follow_ && container_done_ && container_done_();
  bool grew = false;
  Result<std::string> out = reader_->Read(kReadBytes, &grew);
  if (!out.ok()) return End();
  if (!out->empty() && !exchange_->WriteChunk(std::move(*out))) return End();
  if (reader_->limit_reached()) return End();
  if (grew) return Schedule(std::chrono::milliseconds(reader_->catching_up() ? 0 : 1));
  if (!follow_ || done) {
    std::string rest = reader_->Finish();
    if (!rest.empty()) exchange_->WriteChunk(std::move(rest));
    return End();
  }
  Schedule(poll_);
}

}  // namespace capstan::agent::server
