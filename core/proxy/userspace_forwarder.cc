// TCP relaying of the userspace proxy (userspace_forwarder.h): the listener and one relay per
// accepted connection, both on the plane's I/O thread. UDP: userspace_forwarder_udp.cc.
#include "core/proxy/userspace_forwarder.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <string>
#include <utility>

#include "core/common/log.h"

namespace capstan::proxy {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// An unanswered connect moves on to the next endpoint after this; the last one gets longer.
constexpr std::chrono::seconds kConnectTimeout{1};
constexpr std::chrono::seconds kLastConnectTimeout{5};
// Buffers one direction of a connection moves before other handlers get their turn.
constexpr int kRoundsPerTurn = 16;

// Closes `s` with a reset, so that the peer sees the failure rather than an orderly end.
void Abort(tcp::socket& s) {
  error_code ignored;
  if (!s.is_open()) return;
  s.set_option(asio::socket_base::linger(true, 0), ignored);
  s.close(ignored);
}

// One accepted connection: connects to the candidates in turn, then relays both directions.
// Owned by its pending handlers (shared_from_this); gone when both sockets are done.
class TcpRelay : public std::enable_shared_from_this<TcpRelay> {
 public:
  TcpRelay(ForwarderContext* ctx, std::shared_ptr<PortBackends> backends, tcp::socket client,
           uint32_t client_ip, std::vector<Backend> candidates)
      : ctx_(ctx),
        stats_(ctx->stats),
        backends_(std::move(backends)),
        client_(std::move(client)),
        upstream_(ctx->io),
        timer_(ctx->io),
        client_ip_(client_ip),
        candidates_(std::move(candidates)) {
    stats_->tcp_active.fetch_add(1, std::memory_order_relaxed);
  }
  // May run inside the io_context's destructor: touches nothing but the stats.
  ~TcpRelay() { stats_->tcp_active.fetch_sub(1, std::memory_order_relaxed); }

  void Start() { TryNext(); }

 private:
  void TryNext() {
    if (next_ == candidates_.size()) {
      ctx_->stats->tcp_connect_failures.fetch_add(1, std::memory_order_relaxed);
      Abort(client_);
      return;
    }
    const Backend b = candidates_[next_++];
    error_code ignored;
    upstream_.close(ignored);
    connecting_ = true;
    timer_.expires_after(next_ == candidates_.size() ? kLastConnectTimeout : kConnectTimeout);
    const size_t attempt = next_;
    timer_.async_wait([self = shared_from_this(), attempt](error_code ec) {
      if (ec || !self->connecting_ || self->next_ != attempt) return;
      error_code ignored2;
      self->upstream_.close(ignored2);  // the connect completes with operation_aborted
    });
    tcp::endpoint to(asio::ip::address_v4(b.ip), b.port);
    upstream_.async_connect(to, [self = shared_from_this(), b](error_code ec) {
      self->connecting_ = false;
      self->timer_.cancel();
      if (!self->client_.is_open()) return;
      if (ec) {
        log::Debug("proxy", "endpoint connect failed", {{"error", ec.message()}});
        self->TryNext();
        return;
      }
      self->backends_->Chose(self->client_ip_, b);
      self->Relay();
    });
  }

  void Relay() {
    error_code ignored;
    upstream_.set_option(tcp::no_delay(true), ignored);
    // Non-blocking for the direct reads and writes of Pump (asio's async ops are unaffected).
    client_.non_blocking(true, ignored);
    upstream_.non_blocking(true, ignored);
    dirs_[0].from = &client_;
    dirs_[0].to = &upstream_;
    dirs_[1].from = &upstream_;
    dirs_[1].to = &client_;
    Pump(0);
    Pump(1);
  }

  // Moves what `dirs_[i].from` has to `dirs_[i].to` with direct non-blocking calls; waits for
  // readability when there is nothing (releasing the buffer: an idle connection holds none) and
  // writes asynchronously what the receiver does not take at once. At its end the other
  // side's sending direction is shut down; on any error both sides are reset.
  void Pump(int i) {
    Direction& d = dirs_[i];
    for (int round = 0; round < kRoundsPerTurn; ++round) {
      if (!d.buffer) d.buffer = std::make_unique_for_overwrite<char[]>(kTcpRelayBuffer);
      error_code ec;
      size_t n = d.from->read_some(asio::buffer(d.buffer.get(), kTcpRelayBuffer), ec);
      if (ec == asio::error::would_block) {
        d.buffer.reset();
        Wait(i);
        return;
      }
      if (ec == asio::error::eof) {
        d.buffer.reset();
        d.to->shutdown(tcp::socket::shutdown_send, ec);
        d.done = true;
        if (dirs_[0].done && dirs_[1].done) Finish();
        return;
      }
      if (ec) {
        Fail();
        return;
      }
      size_t written = d.to->write_some(asio::buffer(d.buffer.get(), n), ec);
      if (ec && ec != asio::error::would_block) {
        Fail();
        return;
      }
      if (written < n) {
        asio::async_write(*d.to, asio::buffer(d.buffer.get() + written, n - written),
                          [self = shared_from_this(), i](error_code wec, size_t) {
                            if (wec) {
                              self->Fail();
                              return;
                            }
                            self->Pump(i);
                          });
        return;
      }
    }
    // A busy stream yields to the other connections after kRoundsPerTurn buffers.
    asio::post(ctx_->io, [self = shared_from_this(), i] { self->Pump(i); });
  }

  void Wait(int i) {
    dirs_[i].from->async_wait(tcp::socket::wait_read,
                              [self = shared_from_this(), i](error_code ec) {
                                if (ec == asio::error::operation_aborted) return;
                                if (ec) {
                                  self->Fail();
                                  return;
                                }
                                self->Pump(i);
                              });
  }

  void Finish() {
    error_code ignored;
    client_.close(ignored);
    upstream_.close(ignored);
  }
  void Fail() {
    Abort(client_);
    Abort(upstream_);
  }

  struct Direction {
    tcp::socket* from = nullptr;
    tcp::socket* to = nullptr;
    std::unique_ptr<char[]> buffer;
    bool done = false;
  };

  ForwarderContext* const ctx_;
  ForwarderStats* const stats_;
  const std::shared_ptr<PortBackends> backends_;
  tcp::socket client_, upstream_;
  asio::steady_timer timer_;
  const uint32_t client_ip_;
  const std::vector<Backend> candidates_;
  size_t next_ = 0;
  bool connecting_ = false;
  Direction dirs_[2];
};

class TcpListener : public Listener, public std::enable_shared_from_this<TcpListener> {
 public:
  TcpListener(ForwarderContext* ctx, std::shared_ptr<PortBackends> backends, bool external)
      : ctx_(ctx),
        backends_(std::move(backends)),
        external_(external),
        acceptor_(ctx->io),
        backoff_(ctx->io) {}

  Status Bind(uint32_t ipv4, uint16_t port) {
    tcp::endpoint at(asio::ip::address_v4(ipv4), port);
    error_code ec;
    acceptor_.open(tcp::v4(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(at, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error_code ignored;
      acceptor_.close(ignored);
      return UnavailableError("listening on tcp " + at.address().to_string() + ":" +
                              std::to_string(port) + ": " + ec.message());
    }
    return Status::Ok();
  }

  void Accept() {
    acceptor_.async_accept([self = shared_from_this()](error_code ec, tcp::socket s) {
      if (!self->acceptor_.is_open()) return;
      if (ec) {
        // Out of descriptors and the like: pause instead of spinning.
        log::Warn("proxy", "accept failed", {{"error", ec.message()}});
        self->backoff_.expires_after(std::chrono::milliseconds(100));
        self->backoff_.async_wait([self](error_code) {
          if (self->acceptor_.is_open()) self->Accept();
        });
        return;
      }
      self->OnAccepted(std::move(s));
      self->Accept();
    });
  }

  void Close() override {
    error_code ignored;
    acceptor_.close(ignored);
    backoff_.cancel();
  }

 private:
  void OnAccepted(tcp::socket s) {
    ctx_->stats->tcp_accepted.fetch_add(1, std::memory_order_relaxed);
    error_code ec;
    tcp::endpoint peer = s.remote_endpoint(ec);
    if (ec || !peer.address().is_v4()) return;  // gone already (or not IPv4): drop it
    uint32_t client_ip = peer.address().to_v4().to_uint();
    std::vector<Backend> candidates =
        backends_->Candidates(client_ip, external_, kMaxConnectAttempts, &ctx_->rng);
    if (candidates.empty()) {
      ctx_->stats->tcp_connect_failures.fetch_add(1, std::memory_order_relaxed);
      Abort(s);
      return;
    }
    s.set_option(tcp::no_delay(true), ec);
    std::make_shared<TcpRelay>(ctx_, backends_, std::move(s), client_ip, std::move(candidates))
        ->Start();
  }

  ForwarderContext* const ctx_;
  const std::shared_ptr<PortBackends> backends_;
  const bool external_;
  tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
};

}  // namespace

Result<std::shared_ptr<Listener>> ListenTcp(ForwarderContext* ctx,
                                            std::shared_ptr<PortBackends> backends, uint32_t ipv4,
                                            uint16_t port, bool external) {
  auto listener = std::make_shared<TcpListener>(ctx, std::move(backends), external);
  CAPSTAN_RETURN_IF_ERROR(listener->Bind(ipv4, port));
  listener->Accept();
  return std::shared_ptr<Listener>(std::move(listener));
}

}  // namespace capstan::proxy
