// ApiClient::Watch (api_client.h): one dedicated TLS connection per watch, the response body
// read incrementally and split into JSON lines (an event may span chunks, a chunk may hold
// several events). Callbacks are serialised by the connection's strand and fenced by `mu_` so
// that Stop() can promise that none runs after it returns.
#include <condition_variable>
#include <limits>

#include "core/client/api_status.h"
#include "core/client/client_impl.h"
#include "core/common/config.h"

namespace capstan::client {
namespace internal {

class WatchState : public std::enable_shared_from_this<WatchState> {
 public:
  WatchState(ClientImpl* impl, std::string path, WatchEventCallback on_event,
             WatchEndCallback on_end)
      : impl_(impl),
        path_(std::move(path)),
        on_event_(std::move(on_event)),
        on_end_(std::move(on_end)),
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
    std::unique_lock l(mu_);
    if (!stop_requested_) {
      stop_requested_ = true;
      conn_->Close();
    }
    if (in_callback_ && callback_thread_ == std::this_thread::get_id()) return;
    cv_.wait(l, [&] { return !in_callback_; });
  }

  bool Done() const {
    std::lock_guard l(mu_);
    return done_ || stop_requested_;
  }

 private:
  // True (and the watch marked done) when Stop() was called; checked before each new operation
  // so that a Stop() racing with the connect cannot leave a stream running.
  bool StopRequested() {
    std::lock_guard l(mu_);
    if (stop_requested_) done_ = true;
    return stop_requested_;
  }

  void Send() {
    if (StopRequested()) return;
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
      pending_.append(data.data(), data.size());
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
    if (StopRequested()) return;
    if (parser_.is_done()) return Finished();
    auto self = shared_from_this();
    http::async_read_some(
        conn_->stream, conn_->buffer, parser_, [self](beast::error_code ec, std::size_t) {
          bool eof = ec == http::error::end_of_stream || ec == http::error::partial_message;
          if (ec && !eof) return self->ReadFailed(ec);
          self->TakeBody();
          if (ec && self->status_ != 200) return self->Finished();
          if (self->status_ == 200 && !self->DeliverLines(false)) return;
          if (ec) return self->ReadFailed(ec);
          self->ReadSome();
        });
  }

  void TakeBody() {
    std::string& body = parser_.get().body();
    if (!body.empty()) {
      pending_ += body;
      body.clear();
    }
  }

  void Finished() {
    TakeBody();
    if (status_ != 200) {
      ApiResponse r;
      r.status = status_;
      r.body = std::move(pending_);
      return End(StatusFromResponse(r));
    }
    if (!DeliverLines(true)) return;
    End(Status::Ok());
  }

  void ReadFailed(beast::error_code ec) {
    {
      std::lock_guard l(mu_);
      if (stop_requested_) {
        done_ = true;
        return;
      }
    }
    End(UnavailableError("watch stream: " + ec.message()));
  }

  // Delivers every complete line in `pending_` (and the rest when `final`). False when the
  // watch ended meanwhile (a bad line, or Stop()).
  bool DeliverLines(bool final) {
    size_t start = 0;
    while (true) {
      size_t nl = pending_.find('\n', start);
      if (nl == std::string::npos && !(final && start < pending_.size())) break;
      size_t end = nl == std::string::npos ? pending_.size() : nl;
      std::string_view line(pending_.data() + start, end - start);
      start = nl == std::string::npos ? pending_.size() : nl + 1;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      if (line.empty()) continue;
      if (!DeliverLine(line)) return false;
    }
    pending_.erase(0, start);
    return true;
  }

  bool DeliverLine(std::string_view line) {
    Result<nlohmann::json> ev = config::ParseJson(line, "watch event");
    const nlohmann::json* type = nullptr;
    if (ev.ok() && ev->is_object()) {
      auto t = ev->find("type");
      if (t != ev->end() && t->is_string()) type = &*t;
    }
    if (type == nullptr || !ev->contains("object")) {
      End(BadRequestError("watch: not a watch event: " + std::string(line.substr(0, 200))));
      return false;
    }
    const std::string& name = type->get_ref<const std::string&>();
    WatchEventType kind;
    if (name == "ADDED") {
      kind = WatchEventType::kAdded;
    } else if (name == "MODIFIED") {
      kind = WatchEventType::kModified;
    } else if (name == "DELETED") {
      kind = WatchEventType::kDeleted;
    } else if (name == "BOOKMARK") {
      kind = WatchEventType::kBookmark;
    } else if (name == "ERROR") {
      kind = WatchEventType::kError;
    } else {
      return true;  // unknown event types are skipped, as client-go does
    }
    auto object = std::make_shared<const nlohmann::json>(std::move((*ev)["object"]));
    return Invoke([&] {
      if (on_event_) on_event_(kind, object);
    });
  }

  void End(const Status& status) {
    Invoke([&] {
      if (on_end_) on_end_(status);
    });
    {
      std::lock_guard l(mu_);
      done_ = true;
    }
    conn_->Close();
  }

  // Runs `fn` unless Stop() came first; false when stopped.
  template <typename Fn>
  bool Invoke(Fn&& fn) {
    {
      std::lock_guard l(mu_);
      if (stop_requested_ || done_) return false;
      in_callback_ = true;
      callback_thread_ = std::this_thread::get_id();
    }
    fn();
    std::lock_guard l(mu_);
    in_callback_ = false;
    cv_.notify_all();
    return !stop_requested_;
  }

  ClientImpl* impl_;
  std::string path_;
  WatchEventCallback on_event_;
  WatchEndCallback on_end_;
  ConnectionPtr conn_;
  // Touched only on the connection's strand:
  http::request<http::empty_body> req_;
  http::response_parser<http::string_body> parser_;
  std::string pending_;
  std::function<std::size_t(std::uint64_t, beast::string_view, beast::error_code&)> chunk_body_;
  int status_ = 0;

  mutable std::mutex mu_;  // guards the fence below
  std::condition_variable cv_;
  bool stop_requested_ = false;
  bool in_callback_ = false;
  bool done_ = false;
  std::thread::id callback_thread_;
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
