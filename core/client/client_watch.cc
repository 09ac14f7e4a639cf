// ApiClient::Watch (api_client.h): one dedicated TLS connection per watch, the response body
// read incrementally and handed to a `WatchEventStream` (watch_event_stream.h), which splits it
// into events and fences the callbacks so that Stop() can promise that none runs after it
// returns. The connection's strand serialises the stream's calls.
#include <limits>

#include "core/client/api_status.h"
#include "core/client/client_impl.h"
#include "core/client/watch_event_stream.h"

namespace capstan::client {
namespace internal {

class WatchState : public std::enable_shared_from_this<WatchState> {
 public:
  WatchState(ClientImpl* impl, std::string path, WatchEventCallback on_event,
             WatchEndCallback on_end)
      : impl_(impl),
        path_(std::move(path)),
        events_(std::move(on_event), std::move(on_end)),
        conn_(impl->NewDedicatedConnection()) {}

  void Start() {
    auto self = shared_from_this();
    asio::post(conn_->strand, [self] {
      Clock::time_point deadline = Clock::now() + self->impl_->default_timeout();
      self->impl_->Connect(self->conn_, deadline, [self](beast::error_code ec, const char* stage) {
        if (ec)
          return self->End(UnavailableError(std::string("watch ") + stage + ": " + ec.message()));
        self->Send();
      });
    });
  }

  void Stop() {
    events_.Stop([this] { conn_->Close(); });
  }

  bool Done() const { return events_.Done(); }

 private:
  void Send() {
    if (events_.StopRequested()) return;
    req_.method(http::verb::get);
    req_.target(impl_->FullPath(path_));
    req_.version(11);
    req_.keep_alive(true);
    impl_->SetHeaders(req_);
    req_.set(http::field::accept, "application/json");
    conn_->stream.next_layer().expires_after(impl_->default_timeout());
    auto self = shared_from_this();
    http::async_write(conn_->stream, req_, [self](beast::error_code ec, std::size_t) {
      if (ec) return self->End(UnavailableError("watch write: " + ec.message()));
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
    // Beast keeps a reference to the callback, so it lives in a member.
    chunk_body_ = [this](std::uint64_t, beast::string_view data, beast::error_code&) {
      body_.append(data.data(), data.size());
      return data.size();
    };
    parser_.on_chunk_body(chunk_body_);
    auto self = shared_from_this();
    http::async_read_header(conn_->stream, conn_->buffer, parser_,
                            [self](beast::error_code ec, std::size_t) {
                              if (ec) return self->ReadFailed(ec);
                              self->status_ = static_cast<int>(self->parser_.get().result_int());
                              if (self->status_ == 200) {
                                // Events arrive whenever the server has them; the server's
                                // timeoutSeconds bounds the watch instead.
                                self->conn_->stream.next_layer().expires_never();
                              }
                              self->ReadSome();
                            });
  }

  void ReadSome() {
    if (events_.StopRequested()) return;
    if (parser_.is_done()) return Finished();
    auto self = shared_from_this();
    http::async_read_some(
        conn_->stream, conn_->buffer, parser_, [self](beast::error_code ec, std::size_t) {
          bool eof = ec == http::error::end_of_stream || ec == http::error::partial_message;
          if (ec && !eof) return self->ReadFailed(ec);
          self->TakeBody();
          if (ec && self->status_ != 200) return self->Finished();
          if (self->status_ == 200 && !self->DeliverBody()) return;
          if (ec) return self->ReadFailed(ec);
          self->ReadSome();
        });
  }

  // Moves what the parser read into `body_` (bodies that are not chunked land in the parser's).
  void TakeBody() {
    std::string& body = parser_.get().body();
    if (!body.empty()) {
      body_ += body;
      body.clear();
    }
  }

  // Hands `body_` to the event stream; false (and the connection closed) when the watch ended.
  bool DeliverBody() {
    bool alive = events_.Append(body_);
    body_.clear();
    if (!alive) conn_->Close();
    return alive;
  }

  void Finished() {
    TakeBody();
    if (status_ != 200) {
      ApiResponse r;
      r.status = status_;
      r.body = std::move(body_);
      return End(StatusFromResponse(r));
    }
    if (!DeliverBody()) return;
    events_.Finish();
    conn_->Close();
  }

  // Unless Stop() came first (the error is then the closed socket), ends the watch.
  void ReadFailed(beast::error_code ec) { End(UnavailableError("watch stream: " + ec.message())); }

  void End(const Status& status) {
    events_.End(status);
    conn_->Close();
  }

  ClientImpl* impl_;
  std::string path_;
  WatchEventStream events_;
  ConnectionPtr conn_;
  // Touched only on the connection's strand:
  http::request<http::empty_body> req_;
  http::response_parser<http::string_body> parser_;
  std::string body_;  // read but not yet handed to `events_` (a non-200 body: all of it)
  std::function<std::size_t(std::uint64_t, beast::string_view, beast::error_code&)> chunk_body_;
  int status_ = 0;
};

namespace {

class Handle final : public WatchHandle {
 public:
  explicit Handle(std::shared_ptr<WatchState> state) : state_(std::move(state)) {}
  ~Handle() override { Stop(); }
  void Stop() override { state_->Stop(); }
  bool Done() const override { return state_->Done(); }

 private:
  std::shared_ptr<WatchState> state_;
};

}  // namespace

std::unique_ptr<WatchHandle> ClientImpl::Watch(std::string path_with_query,
                                               WatchEventCallback on_event,
                                               WatchEndCallback on_end) {
  auto state = std::make_shared<WatchState>(this, std::move(path_with_query), std::move(on_event),
                                            std::move(on_end));
  bool closing;
  {
    std::lock_guard l(mu_);
    closing = closing_;
    if (!closing) {
      std::erase_if(watches_, [](const std::weak_ptr<WatchState>& w) { return w.expired(); });
      watches_.push_back(state);
    }
  }
  if (closing) {
    state->Stop();
  } else {
    state->Start();
  }
  return std::make_unique<Handle>(state);
}

void ClientImpl::StopWatches(std::vector<std::weak_ptr<WatchState>>& watches) {
  for (auto& w : watches) {
    if (auto s = w.lock()) s->Stop();
  }
}

}  // namespace internal
}  // namespace capstan::client
