// Benchmark clients (apiserver_bench_client.h): blocking keep-alive requests and asynchronous
// streaming watches over TLS, scanned for
// event revisions without an HTTP parser.
#include "bench/apiserver_bench_client.h"

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>
#include <functional>
#include <limits>

namespace capstan::bench {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr char kUserAgent[] = "apiserver_bench/1.0";
constexpr std::string_view kRevisionKey = "\"resourceVersion\":\"";
// Boost 1.74 compares the content length with an empty optional limit and rejects every body,
// so "no limit" is spelled as the largest one.
constexpr uint64_t kNoBodyLimit = std::numeric_limits<uint64_t>::max();

asio::ip::tcp::endpoint Loopback(uint16_t port) {
  return asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port);
}

void TrustCa(asio::ssl::context& ctx, const std::string& ca_pem) {
  error_code ec;
  ctx.set_verify_mode(asio::ssl::verify_peer, ec);
  ctx.add_certificate_authority(asio::buffer(ca_pem), ec);
}

double Seconds(const timespec& ts) {
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return Seconds(ts);
}

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return Seconds(ts);
}

double CpuSecondsOf(std::thread& thread) {
  clockid_t id;
  if (pthread_getcpuclockid(thread.native_handle(), &id) != 0) return 0;
  timespec ts{};
  clock_gettime(id, &ts);
  return Seconds(ts);
}

// ---- SyncClient ----

SyncClient::SyncClient(const std::string& ca_pem) { TrustCa(ctx_, ca_pem); }

SyncClient::~SyncClient() {
  if (stream_) {
    error_code ec;
    stream_->lowest_layer().close(ec);
  }
}

Status SyncClient::Connect(uint16_t port) {
  stream_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(ioc_, ctx_);
  error_code ec;
  stream_->lowest_layer().connect(Loopback(port), ec);
  if (!ec) stream_->lowest_layer().set_option(asio::ip::tcp::no_delay(true), ec);
  if (!ec) stream_->handshake(asio::ssl::stream_base::client, ec);
  if (ec)
    return UnavailableError("connecting to 127.0.0.1:" + std::to_string(port) + ": " +
                            ec.message());
  return Status::Ok();
}

ClientResponse SyncClient::Request(http::verb method, std::string_view target, std::string body,
                                   std::string_view content_type) {
  ClientResponse out;
  http::request<http::string_body> req{method, std::string(target), 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::user_agent, kUserAgent);
  req.set(http::field::accept, "application/json");
  if (!body.empty()) req.set(http::field::content_type, std::string(content_type));
  req.body() = std::move(body);
  req.prepare_payload();
  error_code ec;
  http::write(*stream_, req, ec);
  http::response_parser<http::string_body> parser;
  parser.body_limit(kNoBodyLimit);
  if (!ec) http::read_header(*stream_, buf_, parser, ec);
  out.head_at = SteadyClock::now();
  if (!ec) http::read(*stream_, buf_, parser, ec);
  if (ec) {
    out.error = ec.message();
    return out;
  }
  out.status = parser.get().result_int();
  out.body = std::move(parser.get().body());
  return out;
}

// ---- WatchConnection ----

// One streaming watch, kept lean so the client side does not dominate a machine it shares with
// the server: a plain TLS socket (no Beast stream or strand: each connection has one operation
// outstanding at a time, so its handlers never overlap), and no HTTP body parser. Every event
// carries exactly one `"resourceVersion":"N"` (chunk framing only falls between events), so the
// stream is scanned for that key. `arrivals_` is touched only by handlers; the atomics are read
// by the controlling thread.
class WatchConnection : public std::enable_shared_from_this<WatchConnection> {
 public:
  enum State : int { kPending, kOpen, kFailed };

  WatchConnection(asio::io_context& ioc, asio::ssl::context& ctx) : stream_(ioc, ctx) {}

  void Start(uint16_t port, const std::string& target, std::function<void(bool)> on_head) {
    on_head_ = std::move(on_head);
    request_ = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " + kUserAgent +
               "\r\nAccept: application/json\r\n\r\n";
    auto self = shared_from_this();
    stream_.lowest_layer().async_connect(Loopback(port), [self](const error_code& ec) {
      if (ec) return self->Finish(false);
      error_code ignored;
      self->stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
      self->stream_.async_handshake(asio::ssl::stream_base::client, [self](const error_code& hec) {
        if (hec) return self->Finish(false);
        asio::async_write(self->stream_, asio::buffer(self->request_),
                          [self](const error_code& wec, size_t) {
                            if (wec) return self->Finish(false);
                            self->Read();
                          });
      });
    });
  }

  // Only when no io thread runs.
  void CloseSocket() {
    error_code ec;
    stream_.lowest_layer().close(ec);
  }

  State state() const { return static_cast<State>(state_.load(std::memory_order_acquire)); }
  int64_t last_revision() const { return last_revision_.load(std::memory_order_acquire); }
  const std::vector<WatchArrival>& arrivals() const { return arrivals_; }

 private:
  static constexpr size_t kBufferBytes = 16 * 1024;  // one TLS record

  void Finish(bool ok) {
    state_.store(ok ? kOpen : kFailed, std::memory_order_release);
    if (on_head_) {
      on_head_(ok);
      on_head_ = nullptr;
    }
  }

  void Read() {
    stream_.async_read_some(asio::buffer(buf_, kBufferBytes),
                            [self = shared_from_this()](const error_code& ec, size_t n) {
                              if (ec) {
                                if (self->on_head_) return self->Finish(false);
                                self->state_.store(kFailed, std::memory_order_release);
                                return;
                              }
                              self->OnData(std::string_view(self->buf_, n));
                              self->Read();
                            });
  }

  void OnData(std::string_view data) {
    if (on_head_) {  // still reading the response head
      head_.append(data);
      size_t end = head_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      bool ok = head_.rfind("HTTP/1.1 200 ", 0) == 0;
      std::string rest = head_.substr(end + 4);
      head_.clear();
      Finish(ok);
      if (ok) Scan(rest);
      return;
    }
    Scan(data);
  }

  // Finds every complete `"resourceVersion":"N"` in `carry_` + `data`; keeps a tail that may
  // hold the start of one split across reads.
  void Scan(std::string_view data) {
    SteadyClock::time_point now = SteadyClock::now();
    std::string joined;
    if (!carry_.empty()) {
      joined = carry_ + std::string(data);
      data = joined;
    }
    size_t done = 0;
    while (true) {
      const void* hit =
          memmem(data.data() + done, data.size() - done, kRevisionKey.data(), kRevisionKey.size());
      if (hit == nullptr) break;
      size_t at = static_cast<size_t>(static_cast<const char*>(hit) - data.data());
      size_t digits = at + kRevisionKey.size();
      size_t quote = data.find('"', digits);
      if (quote == std::string_view::npos) break;  // split: finish with the next read
      int64_t rev = 0;
      std::from_chars(data.data() + digits, data.data() + quote, rev);
      arrivals_.push_back({rev, now});
      last_revision_.store(rev, std::memory_order_release);
      done = quote + 1;
    }
    constexpr size_t kTail = kRevisionKey.size() + 24;
    size_t keep_from = std::max(done, data.size() > kTail ? data.size() - kTail : 0);
    carry_.assign(data.substr(keep_from));
  }

  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  char buf_[kBufferBytes];
  std::string request_;
  std::string head_;
  std::string carry_;
  std::function<void(bool)> on_head_;
  std::vector<WatchArrival> arrivals_;
  std::atomic<int> state_{kPending};
  std::atomic<int64_t> last_revision_{0};
};

// ---- WatchFleet ----

WatchFleet::WatchFleet(const std::string& ca_pem, int io_threads) : io_threads_(io_threads) {
  TrustCa(ctx_, ca_pem);
}

WatchFleet::~WatchFleet() { Close(); }

size_t WatchFleet::Open(uint16_t port, const std::string& target, size_t count,
                        std::chrono::milliseconds timeout) {
  auto answered = std::make_shared<std::atomic<size_t>>(0);
  for (size_t i = 0; i < count; ++i) {
    auto c = std::make_shared<WatchConnection>(ioc_, ctx_);
    connections_.push_back(c);
    c->Start(port, target, [answered](bool) { answered->fetch_add(1); });
  }
  if (threads_.empty()) {
    for (int i = 0; i < io_threads_; ++i) {
      threads_.emplace_back([this] {
        auto guard = asio::make_work_guard(ioc_);
        ioc_.run();
      });
    }
  }
  SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  while (answered->load() < count && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  size_t open = 0;
  for (const auto& c : connections_) open += c->state() == WatchConnection::kOpen ? 1 : 0;
  return open;
}

int64_t WatchFleet::MinLastRevision() const {
  int64_t min = -1;
  for (const auto& c : connections_) {
    if (c->state() != WatchConnection::kOpen) continue;
    int64_t r = c->last_revision();
    if (min < 0 || r < min) min = r;
  }
  return min < 0 ? 0 : min;
}

double WatchFleet::CpuSeconds() {
  double s = 0;
  for (std::thread& t : threads_) s += CpuSecondsOf(t);
  return s;
}

void WatchFleet::Close() {
  if (closed_) return;
  closed_ = true;
  ioc_.stop();
  for (std::thread& t : threads_) t.join();
  for (const auto& c : connections_) c->CloseSocket();
}

std::vector<std::vector<WatchArrival>> WatchFleet::Arrivals() const {
  std::vector<std::vector<WatchArrival>> out;
  out.reserve(connections_.size());
  for (const auto& c : connections_) out.push_back(c->arrivals());
  return out;
}

size_t WatchFleet::failed() const {
  size_t n = 0;
  for (const auto& c : connections_) n += c->state() == WatchConnection::kFailed ? 1 : 0;
  return n;
}

}  // namespace capstan::bench
