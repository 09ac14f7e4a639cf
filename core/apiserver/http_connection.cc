// One HTTPS connection (http_connection.h): TLS handshake, a single always-on reader that feeds
// a Beast request parser and doubles as disconnect detection, one response at a time in
// request order, a coalescing write queue, lazy deadline timer, streams and upgrade hand-over.
// Nothing here throws into Asio: Beast/Asio calls use error_code overloads and handler
// callbacks are wrapped.
#include "core/apiserver/http_connection.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/error.hpp>
#include <exception>

namespace capstan::apiserver {
namespace {

namespace http = boost::beast::http;
using boost::system::error_code;

// Reads start small, since most connections sit idle (keep-alive, watches) with a read pending
// and its buffer allocated; a read that fills its buffer makes the next one large.
constexpr size_t kSmallRead = 2u << 10;
constexpr size_t kReadChunk = 16u << 10;
// Response bodies up to this size are copied behind their head so both go out in one TLS
// record and one syscall.
constexpr size_t kCoalesceLimit = 64u << 10;
constexpr std::chrono::milliseconds kShutdownTimeout{1000};
constexpr size_t kLingerBytes = 512;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

template <typename F>
void InvokeNoThrow(F&& f) {
  try {
    f();
  } catch (...) {
    // Callbacks are user code; an exception must not unwind through the io loop.
  }
}

}  // namespace

// ---- HttpRuntime registry ----

uint64_t HttpRuntime::Register(const std::shared_ptr<HttpConnection>& connection) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = next_id_++;
  open_.emplace(id, connection);
  return id;
}

void HttpRuntime::Unregister(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (open_.erase(id) > 0 && open_.empty()) cv_.notify_all();
}

std::vector<std::shared_ptr<HttpConnection>> HttpRuntime::Snapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<HttpConnection>> out;
  for (auto& [id, weak] : open_) {
    if (auto c = weak.lock()) out.push_back(std::move(c));
  }
  return out;
}

size_t HttpRuntime::OpenCount() {
  std::lock_guard<std::mutex> lock(mu_);
  return open_.size();
}

bool HttpRuntime::WaitAllClosed(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_until(lock, deadline, [this] { return open_.empty(); });
}

// ---- HttpConnection ----

HttpConnection::HttpConnection(std::shared_ptr<HttpRuntime> runtime,
                               boost::asio::ip::tcp::socket socket)
    : runtime_(std::move(runtime)),
      options_(runtime_->options),
      executor_(socket.get_executor()),
      stream_(std::move(socket), runtime_->tls.get()),
      timer_(executor_) {
  error_code ec;
  auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    remote_ip_ = endpoint.address().to_string(ec);
    remote_port_ = endpoint.port();
  }
  stream_.socket().set_option(boost::asio::ip::tcp::no_delay(true), ec);
}

HttpConnection::~HttpConnection() {
  if (!closed_ && !taken_) runtime_->Unregister(id_);
}

template <typename F>
void HttpConnection::Post(F&& f) {
  if (runtime_->stopped.load(std::memory_order_acquire)) return;
  boost::asio::post(executor_,
                    [self = shared_from_this(), f = std::forward<F>(f)]() mutable { f(*self); });
}

void HttpConnection::Start() {
  id_ = runtime_->Register(shared_from_this());
  Post([](HttpConnection& c) {
    c.SetReadDeadline(c.options_.handshake_timeout);
    c.stream_.async_handshake(
        [self = c.shared_from_this()](const error_code& ec) { self->OnHandshake(ec); });
  });
}

void HttpConnection::OnHandshake(const error_code& ec) {
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  handshaken_ = true;
  peer_ = ReadTlsPeer(stream_.native_handle());
  if (runtime_->stopping.load()) {
    GracefulClose();
    return;
  }
  SetReadDeadline(options_.idle_timeout);
  DoRead();
}

// ---- reading and parsing ----

bool HttpConnection::ShouldRead() const {
  if (closed_ || taken_ || reading_ || shutting_down_ || close_after_write_ || !handshaken_) {
    return false;
  }
  // An upgrade request's socket may be handed over; reading ahead would steal its bytes.
  if (current_ && current_upgrade_) return false;
  // Bound what a pipelining client can make us buffer while a request is being served.
  return read_buf_.size() < options_.max_header_bytes + kReadChunk;
}

void HttpConnection::DoRead() {
  if (!ShouldRead()) return;
  if (read_buf_.size() == 0 && read_buf_.capacity() > kSmallRead) read_buf_.shrink_to_fit();
  read_want_ = last_read_filled_ ? kReadChunk : kSmallRead;
  reading_ = true;
  stream_.async_read_some(
      read_buf_.prepare(read_want_),
      [self = shared_from_this()](const error_code& ec, size_t n) { self->OnRead(ec, n); });
}

void HttpConnection::OnRead(const error_code& ec, size_t n) {
  reading_ = false;
  if (closed_ || taken_) return;
  bool aborted = ec == boost::asio::error::operation_aborted;
  if (ec && !aborted) {
    Close();  // EOF, reset or TLS error: the client is gone
    return;
  }
  if (!ec) read_buf_.commit(n);
  last_read_filled_ = n == read_want_;
  if (takeover_) {
    CompleteTakeOver();  // the read was cancelled to hand the socket over
  } else if (shutting_down_) {
    GracefulClose();  // the read was cancelled to make room for the TLS shutdown
  } else if (aborted) {
    Close();
  } else {
    ProcessInput();
    DoRead();
  }
}

void HttpConnection::ProcessInput() {
  while (!closed_ && !taken_ && !current_ && !close_after_write_ && !shutting_down_ &&
         read_buf_.size() > 0) {
    if (!parser_) {
      parser_.emplace();
      parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
      parser_->body_limit(options_.max_body_bytes);
      parser_->eager(true);
      continue_sent_ = false;
      SetReadDeadline(options_.request_timeout);
    }
    error_code ec;
    size_t used = parser_->put(read_buf_.data(), ec);
    read_buf_.consume(used);
    if (ec == http::error::need_more) {
      MaybeSendContinue();
      return;
    }
    if (ec == http::error::body_limit) {
      FailRequest(413, "RequestEntityTooLarge", "the request body is too large");
      return;
    }
    if (ec == http::error::header_limit) {
      FailRequest(431, "BadRequest", "the request header is too large");
      return;
    }
    if (ec) {
      FailRequest(400, "BadRequest", "malformed HTTP request: " + ec.message());
      return;
    }
    if (parser_->is_done()) {
      Dispatch();
      continue;
    }
    MaybeSendContinue();
    if (used == 0) return;
  }
}

void HttpConnection::MaybeSendContinue() {
  if (continue_sent_ || !parser_ || !parser_->is_header_done() || parser_->is_done()) return;
  const auto& msg = parser_->get();
  auto expect = msg[http::field::expect];
  if (msg.version() < 11 || expect.size() != 12) return;
  std::string lower;
  for (char c : expect) lower.push_back(Lower(c));
  if (lower != "100-continue") return;
  continue_sent_ = true;
  Enqueue("HTTP/1.1 100 Continue\r\n\r\n");
}

void HttpConnection::Dispatch() {
  auto msg = parser_->release();
  parser_.reset();
  HttpRequest request;
  request.method = std::string(msg.method_string());
  if (Status s = ParseTarget(std::string_view(msg.target().data(), msg.target().size()), &request);
      !s.ok()) {
    FailRequest(400, "BadRequest", s.message());
    return;
  }
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (char& c : name) c = Lower(c);
    request.headers.Add(std::move(name), std::string(field.value()));
  }
  request.version = msg.version();
  request.keep_alive = msg.keep_alive();
  request.body = std::move(msg.body());
  request.remote_ip = remote_ip_;
  request.remote_port = remote_port_;
  request.client_cert_chain_pem = peer_.chain_pem;
  request.client_cert_verified = peer_.verified;

  current_ = std::make_shared<ExchangeState>();
  current_keep_alive_ = request.keep_alive;
  current_head_ = request.method == "HEAD";
  current_http10_ = request.version < 11;
  current_upgrade_ = request.IsUpgrade();
  read_deadline_ = Clock::time_point::max();
  auto exchange = std::make_shared<HttpExchange>(shared_from_this(), current_, std::move(request),
                                                 options_.max_stream_queued_bytes);
  DoRead();  // keep a read pending while the handler runs, to notice a client that leaves
  try {
    runtime_->handler(std::move(exchange));
  } catch (...) {
    // The exchange, if the handler dropped it unanswered, responds 500 from its destructor.
  }
}

void HttpConnection::FailRequest(int status, std::string_view reason, std::string_view message) {
  parser_.reset();
  std::string body = ErrorStatusJson(status, reason, message);
  std::string out;
  AppendResponseHead(status, {{"Content-Type", "application/json"}}, BodyFraming::kContentLength,
                     body.size(), /*close=*/true, &out);
  out += body;
  close_after_write_ = true;
  read_deadline_ = Clock::time_point::max();
  Enqueue(std::move(out));
}

// ---- writing ----

void HttpConnection::Enqueue(std::string data, StatePtr account, size_t accounted,
                             std::function<void()> on_written) {
  if (closed_ || taken_ || shutting_down_) {
    if (account) account->queued_bytes.fetch_sub(accounted);
    return;
  }
  queue_.push_back(OutItem{std::move(data), std::move(account), accounted, std::move(on_written)});
  DoWrite();
}

void HttpConnection::DoWrite() {
  if (writing_ || queue_.empty() || closed_ || taken_) return;
  inflight_.swap(queue_);
  writing_ = true;
  write_deadline_ = Clock::now() + options_.write_timeout;
  UpdateTimer();
  boost::asio::const_buffer buffer;
  if (inflight_.size() == 1) {
    buffer = boost::asio::buffer(inflight_.front().data);
  } else {
    coalesced_.clear();
    for (const OutItem& item : inflight_) coalesced_ += item.data;
    buffer = boost::asio::buffer(coalesced_);
  }
  boost::asio::async_write(
      stream_, buffer,
      [self = shared_from_this()](const error_code& ec, size_t /*n*/) { self->OnWrite(ec); });
}

void HttpConnection::OnWrite(const error_code& ec) {
  writing_ = false;
  write_deadline_ = Clock::time_point::max();
  std::vector<std::function<void()>> written;
  for (OutItem& item : inflight_) {
    if (item.account) item.account->queued_bytes.fetch_sub(item.accounted);
    if (item.on_written && !ec) written.push_back(std::move(item.on_written));
  }
  inflight_.clear();
  if (coalesced_.capacity() > kCoalesceLimit) std::string().swap(coalesced_);
  if (closed_ || taken_) return;
  if (ec) {
    Close();
    return;
  }
  // Producers pace themselves on these (after this write's bookkeeping; a chunk they queue
  // starts the next write here or below).
  for (std::function<void()>& f : written) InvokeNoThrow(f);
  if (!queue_.empty()) {
    DoWrite();
  } else if (takeover_) {
    CompleteTakeOver();
  } else if (close_after_write_ || shutting_down_) {
    GracefulClose();
  }
}

// ---- responses (called through Post* from HttpExchange) ----

void HttpConnection::Respond(const StatePtr& state, int status, const HttpHeaders& headers,
                             std::string body) {
  if (closed_ || taken_ || state != current_) return;
  bool close = !current_keep_alive_ || runtime_->stopping.load();
  BodyFraming framing =
      StatusForbidsBody(status) ? BodyFraming::kNone : BodyFraming::kContentLength;
  bool send_body = framing == BodyFraming::kContentLength && !current_head_ && !body.empty();
  std::string out;
  if (send_body && body.size() <= kCoalesceLimit) out.reserve(body.size() + 512);
  AppendResponseHead(status, headers, framing, body.size(), close, &out);
  if (send_body && body.size() <= kCoalesceLimit) {
    out += body;
    Enqueue(std::move(out));
  } else {
    Enqueue(std::move(out));
    if (send_body) Enqueue(std::move(body));
  }
  FinishExchange(close);
}

void HttpConnection::StartStream(const StatePtr& state, int status, const HttpHeaders& headers) {
  if (closed_ || taken_ || state != current_) return;
  // HTTP/1.0 has no chunked encoding: the body then runs until the connection closes.
  stream_chunked_ = !current_http10_;
  stream_close_ = current_http10_ || !current_keep_alive_ || runtime_->stopping.load();
  std::string out;
  AppendResponseHead(status, headers,
                     stream_chunked_ ? BodyFraming::kChunked : BodyFraming::kUntilClose, 0,
                     stream_close_, &out);
  Enqueue(std::move(out));
  streaming_ = true;
  if (current_head_) {
    EndStream(state);
  } else if (runtime_->stopping.load()) {
    BeginShutdown();
  }
}

void HttpConnection::Chunk(const StatePtr& state, std::string data,
                           std::function<void()> on_written) {
  size_t accounted = data.size();
  if (closed_ || taken_ || state != current_ || current_head_) {
    state->queued_bytes.fetch_sub(accounted);
    return;
  }
  if (!stream_chunked_) {
    Enqueue(std::move(data), state, accounted, std::move(on_written));
    return;
  }
  std::string framed;
  framed.reserve(data.size() + 16);
  AppendChunk(data, &framed);
  Enqueue(std::move(framed), state, accounted, std::move(on_written));
}

void HttpConnection::EndStream(const StatePtr& state) {
  if (closed_ || taken_ || state != current_) return;
  if (stream_chunked_ && !current_head_) Enqueue(std::string(kLastChunk));
  FinishExchange(stream_close_);
}

void HttpConnection::FinishExchange(bool close) {
  current_.reset();
  on_closed_.clear();
  current_upgrade_ = false;
  streaming_ = false;
  if (close || runtime_->stopping.load()) {
    close_after_write_ = true;
    if (!writing_ && queue_.empty()) GracefulClose();
    return;
  }
  SetReadDeadline(read_buf_.size() > 0 ? options_.request_timeout : options_.idle_timeout);
  ProcessInput();
  DoRead();
}

void HttpConnection::AbortExchange() {
  if (!current_) return;
  current_->closed.store(true, std::memory_order_release);
  std::vector<std::function<void()>> callbacks;
  callbacks.swap(on_closed_);
  for (auto& cb : callbacks) InvokeNoThrow(cb);
}

// ---- shutdown, close and upgrade ----

void HttpConnection::BeginShutdown() {
  if (closed_ || taken_) return;
  if (!current_) {
    GracefulClose();  // idle, or a request still arriving: it is dropped
    return;
  }
  if (streaming_) {
    AbortExchange();
    if (stream_chunked_) Enqueue(std::string(kLastChunk));
    current_.reset();
    streaming_ = false;
    close_after_write_ = true;
    if (!writing_ && queue_.empty()) GracefulClose();
  }
  // A pending handler still answers; Respond adds "Connection: close" while stopping.
}

void HttpConnection::TakeOver(const StatePtr& state, std::function<void(TakenSocket)> callback) {
  if (closed_ || taken_ || state != current_) {
    InvokeNoThrow([&] { callback(TakenSocket{}); });
    return;
  }
  takeover_ = std::move(callback);
  if (writing_ || !queue_.empty()) return;  // OnWrite completes the hand-over
  if (reading_) {
    // A read started before this (pipelined) request was parsed; cancel it first.
    error_code ignored;
    stream_.socket().cancel(ignored);
    return;  // OnRead completes the hand-over
  }
  CompleteTakeOver();
}

void HttpConnection::CompleteTakeOver() {
  if (reading_ || writing_) return;
  taken_ = true;
  timer_.cancel();
  runtime_->Unregister(id_);
  current_.reset();
  on_closed_.clear();
  TakenSocket taken;
  taken.buffered = boost::beast::buffers_to_string(read_buf_.data());
  read_buf_.consume(read_buf_.size());
  taken.stream = std::make_unique<TlsStream>(std::move(stream_));
  auto callback = std::move(takeover_);
  takeover_ = nullptr;
  InvokeNoThrow([&] { callback(std::move(taken)); });
}

void HttpConnection::GracefulClose() {
  if (closed_ || taken_) return;
  if (!handshaken_) {
    Close();
    return;
  }
  shutting_down_ = true;
  if (writing_) return;  // OnWrite calls back here; cancelling would lose the response
  if (reading_) {
    error_code ignored;
    stream_.socket().cancel(ignored);
    return;  // OnRead(operation_aborted) calls back here
  }
  if (linger_buf_) return;  // already draining
  // As Go's server does: close_notify, FIN, then discard what the client still sends until it
  // closes (bounded by the deadline). Closing with unread data would make the kernel send a
  // reset, which can destroy the response we just sent before the client reads it.
  stream_.SendCloseNotify();
  error_code ignored;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  SetReadDeadline(kShutdownTimeout);
  linger_buf_ = std::make_unique<char[]>(kLingerBytes);
  Drain();
}

void HttpConnection::Drain() {
  stream_.socket().async_read_some(boost::asio::buffer(linger_buf_.get(), kLingerBytes),
                                   [self = shared_from_this()](const error_code& ec, size_t) {
                                     if (ec || self->closed_) {
                                       self->Close();
                                     } else {
                                       self->Drain();
                                     }
                                   });
}

void HttpConnection::Close() {
  if (closed_ || taken_) return;
  closed_ = true;
  error_code ignored;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
  timer_.cancel();
  read_deadline_ = write_deadline_ = Clock::time_point::max();
  queue_.clear();  // `inflight_` stays until its write completes: Asio still references it
  parser_.reset();
  AbortExchange();
  if (takeover_) {
    auto callback = std::move(takeover_);
    takeover_ = nullptr;
    InvokeNoThrow([&] { callback(TakenSocket{}); });
  }
  runtime_->Unregister(id_);
}

// ---- timeouts ----

void HttpConnection::SetReadDeadline(std::chrono::milliseconds after) {
  read_deadline_ = Clock::now() + after;
  UpdateTimer();
}

// One timer per connection, moved only when a deadline gets earlier: pushing deadlines later
// on every keep-alive request costs no timer syscalls; the timer re-arms when it fires early.
void HttpConnection::UpdateTimer() {
  if (closed_ || taken_) return;
  Clock::time_point next = std::min(read_deadline_, write_deadline_);
  if (next == Clock::time_point::max()) return;
  if (timer_pending_ && timer_.expiry() <= next) return;
  timer_.expires_at(next);
  timer_pending_ = true;
  uint64_t generation = ++timer_generation_;
  timer_.async_wait([self = shared_from_this(), generation](const error_code& ec) {
    self->OnTimer(ec, generation);
  });
}

void HttpConnection::OnTimer(const error_code& ec, uint64_t generation) {
  if (generation != timer_generation_) return;  // superseded by a re-arm
  timer_pending_ = false;
  if (ec || closed_ || taken_) return;
  Clock::time_point now = Clock::now();
  if (now >= write_deadline_ || (shutting_down_ && now >= read_deadline_)) {
    Close();
  } else if (now >= read_deadline_) {
    read_deadline_ = Clock::time_point::max();
    if (!handshaken_ || parser_) {
      Close();  // stalled handshake or request: nothing useful to answer
    } else {
      GracefulClose();  // keep-alive idle timeout
    }
  } else {
    UpdateTimer();
  }
}

// ---- cross-thread entry points ----

void HttpConnection::PostBeginShutdown() {
  Post([](HttpConnection& c) { c.BeginShutdown(); });
}

void HttpConnection::PostForceClose() {
  Post([](HttpConnection& c) { c.Close(); });
}

void HttpConnection::PostRespond(StatePtr state, int status, HttpHeaders headers,
                                 std::string body) {
  Post([state = std::move(state), status, headers = std::move(headers), body = std::move(body)](
           HttpConnection& c) mutable { c.Respond(state, status, headers, std::move(body)); });
}

void HttpConnection::PostStartStream(StatePtr state, int status, HttpHeaders headers) {
  Post([state = std::move(state), status, headers = std::move(headers)](HttpConnection& c) {
    c.StartStream(state, status, headers);
  });
}

void HttpConnection::PostChunk(StatePtr state, std::string data, std::function<void()> on_written) {
  Post([state = std::move(state), data = std::move(data), on_written = std::move(on_written)](
           HttpConnection& c) mutable { c.Chunk(state, std::move(data), std::move(on_written)); });
}

void HttpConnection::PostEndStream(StatePtr state) {
  Post([state = std::move(state)](HttpConnection& c) { c.EndStream(state); });
}

void HttpConnection::PostCut(StatePtr state) {
  Post([state = std::move(state)](HttpConnection& c) {
    if (state == c.current_) c.Close();
  });
}

void HttpConnection::PostOnClosed(StatePtr state, std::function<void()> callback) {
  Post([state = std::move(state), callback = std::move(callback)](HttpConnection& c) mutable {
    if (state->closed.load()) {
      InvokeNoThrow(callback);
    } else if (state == c.current_) {
      c.on_closed_.push_back(std::move(callback));
    }
  });
}

void HttpConnection::PostTakeOver(StatePtr state, std::function<void(TakenSocket)> callback) {
  Post([state = std::move(state), callback = std::move(callback)](HttpConnection& c) mutable {
    c.TakeOver(state, std::move(callback));
  });
}

}  // namespace capstan::apiserver
