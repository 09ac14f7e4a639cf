// ApiClient transport (client_impl.h): TLS setup, the keep-alive connection pool and blocking
// requests driven by an async state machine (`Call`) on the connection's strand.
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>
#include <future>

#include "core/client/client_impl.h"

namespace capstan::client {
namespace internal {
namespace {

constexpr uint64_t kMaxResponseBody = uint64_t{1} << 30;

bool IsIpLiteral(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

std::string Describe(const beast::error_code& ec) {
  std::string m = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    // OpenSSL's reason, e.g. "certificate verify failed".
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (reason != nullptr) m = reason;
  }
  return m;
}

// One blocking request in flight. Owned by the handlers of its current async step.
class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(ClientImpl* impl, http::request<http::string_body> req, Clock::time_point deadline,
       bool idempotent)
      : impl_(impl), req_(std::move(req)), deadline_(deadline), idempotent_(idempotent) {}

  std::future<Result<ApiResponse>> Start() {
    auto f = promise_.get_future();
    Begin();
    return f;
  }

 private:
  void Begin() {
    impl_->Acquire([self = shared_from_this()](ConnectionPtr conn, bool reused) {
      if (conn == nullptr) return self->Finish(Status(StatusCode::kCancelled, "client closing"));
      if (Clock::now() >= self->deadline_) {
        // The caller gave up while this call waited for a pooled connection.
        bool reusable = conn->connected;
        self->impl_->Release(std::move(conn), reusable);
        return self->Finish(TimeoutError("request timed out (waiting for a connection)"));
      }
      self->conn_ = std::move(conn);
      self->reused_ = reused;
      if (self->conn_->connected) return self->Send();
      self->impl_->Connect(self->conn_, self->deadline_,
                           [self](beast::error_code ec, const char* stage) {
                             if (ec) return self->Fail(ec, stage, false);
                             self->Send();
                           });
    });
  }

  void Send() {
    conn_->stream.next_layer().expires_at(deadline_);
    http::async_write(conn_->stream, req_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->Fail(ec, "write", true);
                        self->Read();
                      });
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxResponseBody);
    http::async_read(conn_->stream, conn_->buffer, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->Fail(ec, "read", !self->parser_->got_some());
                       self->Complete();
                     });
  }

  void Complete() {
    http::response<http::string_body> res = parser_->release();
    ApiResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    out.body = std::move(res.body());
    conn_->stream.next_layer().expires_never();
    impl_->Release(std::move(conn_), res.keep_alive());
    Finish(std::move(out));
  }

  // `nothing_received`: the server sent no byte of a response, so an idempotent request on a
  // stale keep-alive connection may safely go again on a fresh one.
  void Fail(beast::error_code ec, const char* stage, bool nothing_received) {
    bool timed_out = ec == beast::error::timeout;
    if (conn_ != nullptr) impl_->Release(std::move(conn_), false);
    if (!timed_out && reused_ && nothing_received && idempotent_ && !retried_) {
      retried_ = true;
      reused_ = false;
      parser_.reset();
      return Begin();
    }
    if (timed_out) return Finish(TimeoutError(std::string("request timed out (") + stage + ")"));
    return Finish(UnavailableError(std::string(stage) + ": " + Describe(ec)));
  }

  void Finish(Result<ApiResponse> r) {
    if (finished_) return;
    finished_ = true;
    promise_.set_value(std::move(r));
  }

  ClientImpl* impl_;
  http::request<http::string_body> req_;
  Clock::time_point deadline_;
  bool idempotent_;
  bool retried_ = false;
  bool reused_ = false;
  bool finished_ = false;
  ConnectionPtr conn_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::promise<Result<ApiResponse>> promise_;
};

}  // namespace

Connection::Connection(asio::io_context& ioc, ssl::context& ctx)
    : strand(asio::make_strand(ioc)), stream(strand, ctx) {}

bool Connection::PeerClosed() {
  if (buffer.size() != 0) return true;  // leftover bytes: the stream is out of step
  int fd = stream.next_layer().socket().native_handle();
  char b;
  ssize_t n = ::recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
  // 0: EOF; > 0: an unsolicited TLS record (close_notify); < 0: a socket error.
  return true;
}

void Connection::Close() {
  asio::post(strand, [self = shared_from_this()] {
    beast::error_code ec;
    self->stream.next_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
    self->stream.next_layer().close();
  });
}

ClientImpl::ClientImpl(ClientConfig config, ServerAddress address, ApiClientOptions options)
    : config_(std::move(config)), address_(std::move(address)), options_(std::move(options)) {
  bool v6 = address_.host.find(':') != std::string::npos;
  host_header_ = (v6 ? "[" + address_.host + "]" : address_.host);
  if (address_.port != 443) host_header_ += ":" + std::to_string(address_.port);
  verify_name_ = config_.tls_server_name.empty() ? address_.host : config_.tls_server_name;
  verify_is_ip_ = IsIpLiteral(verify_name_);
}

Status ClientImpl::Init() {
  beast::error_code ec;
  ssl_ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1,
                       ec);
  ssl_ctx_.set_verify_mode(ssl::verify_peer, ec);
  if (config_.ca_pem.empty()) return InvalidError("api client: no CA certificate");
  ssl_ctx_.add_certificate_authority(asio::buffer(config_.ca_pem), ec);
  if (ec) return BadRequestError("api client: CA certificate: " + Describe(ec));
  if (config_.client_cert_pem.empty() != config_.client_key_pem.empty()) {
    return InvalidError("api client: client certificate and key must both be set");
  }
  if (!config_.client_cert_pem.empty()) {
    ssl_ctx_.use_certificate_chain(asio::buffer(config_.client_cert_pem), ec);
    if (ec) return BadRequestError("api client: client certificate: " + Describe(ec));
    ssl_ctx_.use_private_key(asio::buffer(config_.client_key_pem), ssl::context::pem, ec);
    if (ec) return BadRequestError("api client: client key: " + Describe(ec));
  }
  work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      ioc_.get_executor());
  int n = options_.io_threads > 0 ? options_.io_threads : 1;
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
  return Status::Ok();
}

ClientImpl::~ClientImpl() { Shutdown(); }

void ClientImpl::Shutdown() {
  std::vector<ConnectionPtr> idle;
  std::deque<AcquireCallback> waiters;
  std::vector<std::weak_ptr<WatchState>> watches;
  {
    std::lock_guard l(mu_);
    closing_ = true;
    idle.swap(idle_);
    waiters.swap(waiters_);
    watches.swap(watches_);
    open_ -= static_cast<int>(idle.size());
  }
  for (auto& cb : waiters) asio::post(ioc_, [cb] { cb(nullptr, false); });
  for (auto& c : idle) c->Close();
  StopWatches(watches);
  // Threads return once every pending operation has completed (nothing is left pending: idle
  // sockets are closed, watches stopped, and no call may be in flight by contract).
  work_.reset();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

int ClientImpl::OpenConnections() const {
  std::lock_guard l(mu_);
  return open_;
}

void ClientImpl::Acquire(AcquireCallback cb) {
  ConnectionPtr conn;
  bool reused = false;
  std::vector<ConnectionPtr> stale;
  {
    std::lock_guard l(mu_);
    if (closing_) {
      asio::post(ioc_, [cb = std::move(cb)] { cb(nullptr, false); });
      return;
    }
    Clock::time_point now = Clock::now();
    while (!idle_.empty()) {
      ConnectionPtr c = std::move(idle_.back());
      idle_.pop_back();
      if (now - c->idle_since > options_.max_idle || c->PeerClosed()) {
        --open_;
        stale.push_back(std::move(c));
        continue;
      }
      conn = std::move(c);
      reused = true;
      break;
    }
    if (conn == nullptr) {
      if (open_ >= std::max(1, options_.max_connections)) {
        waiters_.push_back(std::move(cb));
        cb = nullptr;
      } else {
        ++open_;
        ++opened_;
        conn = std::make_shared<Connection>(ioc_, ssl_ctx_);
      }
    }
  }
  for (auto& c : stale) c->Close();
  if (cb) asio::post(conn->strand, [cb = std::move(cb), conn, reused] { cb(conn, reused); });
}

void ClientImpl::Release(ConnectionPtr conn, bool reusable) {
  AcquireCallback waiter;
  ConnectionPtr handoff;
  ConnectionPtr to_close;
  bool reused = reusable;
  {
    std::lock_guard l(mu_);
    if (closing_) reusable = false;
    if (reusable) {
      conn->idle_since = Clock::now();
      if (waiters_.empty()) {
        idle_.push_back(std::move(conn));
        return;
      }
      handoff = std::move(conn);
    } else {
      to_close = std::move(conn);
      --open_;
      if (!closing_ && !waiters_.empty()) {
        // A waiter gets a fresh connection in place of the broken one.
        ++open_;
        ++opened_;
        reused = false;
        handoff = std::make_shared<Connection>(ioc_, ssl_ctx_);
      }
    }
    if (handoff != nullptr) {
      waiter = std::move(waiters_.front());
      waiters_.pop_front();
    }
  }
  if (to_close != nullptr) to_close->Close();
  if (waiter) {
    asio::post(handoff->strand,
               [waiter = std::move(waiter), handoff, reused] { waiter(handoff, reused); });
  }
}

ConnectionPtr ClientImpl::NewDedicatedConnection() {
  ++opened_;
  return std::make_shared<Connection>(ioc_, ssl_ctx_);
}

void ClientImpl::Connect(const ConnectionPtr& conn, Clock::time_point deadline,
                         std::function<void(beast::error_code, const char*)> done) {
  auto resolver = std::make_shared<tcp::resolver>(conn->strand);
  resolver->async_resolve(
      address_.host, std::to_string(address_.port),
      [this, conn, deadline, done = std::move(done), resolver](
          beast::error_code ec, const tcp::resolver::results_type& results) mutable {
        if (ec) return done(ec, "resolve");
        conn->stream.next_layer().expires_at(deadline);
        conn->stream.next_layer().async_connect(
            results, [this, conn, done = std::move(done)](beast::error_code ec2,
                                                          const tcp::endpoint&) mutable {
              if (ec2) return done(ec2, "connect");
              SSL* ssl = conn->stream.native_handle();
              X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
              if (verify_is_ip_) {
                X509_VERIFY_PARAM_set1_ip_asc(param, verify_name_.c_str());
              } else {
                SSL_set_tlsext_host_name(ssl, verify_name_.c_str());
                X509_VERIFY_PARAM_set1_host(param, verify_name_.c_str(), 0);
              }
              conn->stream.async_handshake(ssl::stream_base::client,
                                           [conn, done = std::move(done)](beast::error_code ec3) {
                                             if (ec3) return done(ec3, "TLS handshake");
                                             conn->connected = true;
                                             done({}, "");
                                           });
            });
      });
}

Result<ApiResponse> ClientImpl::Request(std::string_view method, std::string_view path,
                                        std::string_view content_type, std::string body,
                                        std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) timeout = options_.default_timeout;
  http::request<http::string_body> req;
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(FullPath(path));
  req.version(11);
  req.keep_alive(true);
  SetHeaders(req);
  req.set(http::field::accept, "application/json");
  if (!body.empty()) {
    req.set(http::field::content_type,
            content_type.empty() ? beast::string_view("application/json")
                                 : beast::string_view(content_type.data(), content_type.size()));
  }
  req.body() = std::move(body);
  req.prepare_payload();
  Clock::time_point deadline = Clock::now() + timeout;
  auto call = std::make_shared<Call>(this, std::move(req), deadline, IsIdempotent(method));
  std::future<Result<ApiResponse>> f = call->Start();
  // The stream's own timer ends the call by `deadline`; the slack covers a wait for a pooled
  // connection, which has no timer of its own.
  if (f.wait_until(deadline + std::chrono::seconds(1)) != std::future_status::ready) {
    return TimeoutError("request timed out (waiting for a connection)");
  }
  return f.get();
}

}  // namespace internal

Result<std::unique_ptr<ApiClient>> ApiClient::Create(const ClientConfig& config,
                                                     ApiClientOptions options) {
  Result<ServerAddress> addr = ParseServerUrl(config.server_url);
  if (!addr.ok()) return addr.status().WithContext("api client");
  auto impl = std::make_unique<internal::ClientImpl>(config, *addr, std::move(options));
  CAPSTAN_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<ApiClient>(std::move(impl));
}

Result<std::unique_ptr<ApiClient>> ApiClient::FromKubeconfig(const std::string& path,
                                                             ApiClientOptions options) {
  Result<ClientConfig> config = LoadKubeconfig(path);
  if (!config.ok()) return config.status();
  return Create(*config, std::move(options));
}

}  // namespace capstan::client
