// UDP relaying of the userspace proxy (userspace_forwarder.h): a listener that keeps one flow
// (a socket connected to one endpoint) per client ip:port until it idles. Replies leave through
// the listening socket from the address the client sent to (IP_PKTINFO), which matters for a
// NodePort's 0.0.0.0 listener. TCP: userspace_forwarder.cc.
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "core/proxy/userspace_forwarder.h"

namespace capstan::proxy {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using boost::system::error_code;

// Datagrams read per readiness wake-up before other handlers get their turn.
constexpr int kBatch = 64;
constexpr std::chrono::seconds kMaxSweepInterval{10};
// Flows per listener (each holds a descriptor): beyond this new clients are dropped until
// others idle out, so a flood of spoofed sources cannot exhaust the process's descriptors.
constexpr size_t kMaxFlows = 16384;

class UdpListener;

// One client of a UDP listener, relayed to one endpoint.
class UdpFlow : public std::enable_shared_from_this<UdpFlow> {
 public:
  UdpFlow(ForwarderContext* ctx, std::weak_ptr<UdpListener> listener, sockaddr_in client,
          in_addr local, Backend backend)
      : ctx_(ctx),
        stats_(ctx->stats),
        listener_(std::move(listener)),
        socket_(ctx->io),
        client_(client),
        local_(local),
        backend_(backend) {
    stats_->udp_flows.fetch_add(1, std::memory_order_relaxed);
    stats_->udp_active.fetch_add(1, std::memory_order_relaxed);
  }
  // May run inside the io_context's destructor: touches nothing but the stats.
  ~UdpFlow() { stats_->udp_active.fetch_sub(1, std::memory_order_relaxed); }

  Status Open() {
    error_code ec;
    socket_.open(udp::v4(), ec);
    if (!ec) socket_.non_blocking(true, ec);
    if (!ec) socket_.connect(udp::endpoint(asio::ip::address_v4(backend_.ip), backend_.port), ec);
    if (ec) return UnavailableError("udp flow: " + ec.message());
    WaitReply();
    return Status::Ok();
  }
  // Forwards one datagram of the client; dropped when the socket buffer is full (UDP).
  void Send(const char* data, size_t n) {
    last_active_ = std::chrono::steady_clock::now();
    ::send(socket_.native_handle(), data, n, MSG_DONTWAIT);
  }
  void Close() {
    error_code ignored;
    socket_.close(ignored);
  }
  const Backend& backend() const { return backend_; }
  std::chrono::steady_clock::time_point last_active() const { return last_active_; }

 private:
  void WaitReply();

  ForwarderContext* const ctx_;
  ForwarderStats* const stats_;
  const std::weak_ptr<UdpListener> listener_;
  udp::socket socket_;
  const sockaddr_in client_;
  const in_addr local_;  // the address the client sent to: the replies' source
  const Backend backend_;
  std::chrono::steady_clock::time_point last_active_ = std::chrono::steady_clock::now();
};

class UdpListener : public Listener, public std::enable_shared_from_this<UdpListener> {
 public:
  UdpListener(ForwarderContext* ctx, std::shared_ptr<PortBackends> backends, bool external)
      : ctx_(ctx),
        backends_(std::move(backends)),
        external_(external),
        socket_(ctx->io),
        sweep_(ctx->io) {}

  Status Bind(uint32_t ipv4, uint16_t port) {
    udp::endpoint at(asio::ip::address_v4(ipv4), port);
    error_code ec;
    socket_.open(udp::v4(), ec);
    if (!ec) socket_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) socket_.non_blocking(true, ec);
    int on = 1;
    if (!ec && setsockopt(socket_.native_handle(), IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) != 0) {
      ec = error_code(errno, boost::system::system_category());
    }
    if (!ec) socket_.bind(at, ec);
    if (ec) {
      error_code ignored;
      socket_.close(ignored);
      return UnavailableError("listening on udp " + at.address().to_string() + ":" +
                              std::to_string(port) + ": " + ec.message());
    }
    return Status::Ok();
  }

  void Start() { WaitRead(); }

  void Close() override {
    error_code ignored;
    socket_.close(ignored);
    sweep_.cancel();
    for (auto& [key, flow] : flows_) flow->Close();
    flows_.clear();
  }

  void EndpointsChanged() override {
    std::erase_if(flows_, [this](auto& entry) {
      if (backends_->Serves(entry.second->backend(), external_)) return false;
      entry.second->Close();
      return true;
    });
  }

  // Sends a reply datagram to `client` from `local` (the address the client used).
  void Reply(const sockaddr_in& client, in_addr local, const char* data, size_t n) {
    if (!socket_.is_open()) return;
    iovec iov{const_cast<char*>(data), n};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))] = {};
    msghdr msg{};
    msg.msg_name = const_cast<sockaddr_in*>(&client);
    msg.msg_namelen = sizeof(client);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    info.ipi_spec_dst = local;
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT);  // dropped when full (UDP)
  }

 private:
  void WaitRead() {
    socket_.async_wait(udp::socket::wait_read, [self = shared_from_this()](error_code ec) {
      if (ec || !self->socket_.is_open()) return;
      self->Drain();
      self->WaitRead();
    });
  }

  void Drain() {
    for (int i = 0; i < kBatch; ++i) {
      sockaddr_in client{};
      iovec iov{ctx_->scratch.data(), ctx_->scratch.size()};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))];
      msghdr msg{};
      msg.msg_name = &client;
      msg.msg_namelen = sizeof(client);
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      ssize_t n = recvmsg(socket_.native_handle(), &msg, MSG_DONTWAIT);
      if (n < 0) return;  // EAGAIN: drained (errors of earlier sends are not ours to keep)
      in_addr local{};
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_PKTINFO) continue;
        in_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof(info));
        local = info.ipi_addr;
      }
      UdpFlow* flow = Find(client, local);
      if (flow != nullptr) flow->Send(ctx_->scratch.data(), static_cast<size_t>(n));
    }
  }

  // The client's flow, made on its first datagram; null when no endpoint takes it.
  UdpFlow* Find(const sockaddr_in& client, in_addr local) {
    Key key{client.sin_addr.s_addr, client.sin_port};
    auto it = flows_.find(key);
    if (it != flows_.end()) return it->second.get();
    if (flows_.size() >= kMaxFlows) return nullptr;
    uint32_t client_ip = ntohl(client.sin_addr.s_addr);
    std::vector<Backend> pick = backends_->Candidates(client_ip, external_, 1, &ctx_->rng);
    if (pick.empty()) return nullptr;
    auto flow = std::make_shared<UdpFlow>(ctx_, weak_from_this(), client, local, pick[0]);
    if (!flow->Open().ok()) return nullptr;
    backends_->Chose(client_ip, pick[0]);
    if (!sweeping_) Sweep();
    return flows_.emplace(key, std::move(flow)).first->second.get();
  }

  // Ends idle flows; runs only while there are flows, so that thousands of quiet UDP services
  // cost no timer wake-ups.
  void Sweep() {
    sweeping_ = true;
    sweep_.expires_after(std::min(kMaxSweepInterval, ctx_->udp_idle_timeout));
    sweep_.async_wait([self = shared_from_this()](error_code ec) {
      self->sweeping_ = false;
      if (ec || !self->socket_.is_open()) return;
      auto idle_since = std::chrono::steady_clock::now() - self->ctx_->udp_idle_timeout;
      std::erase_if(self->flows_, [&](auto& entry) {
        if (entry.second->last_active() > idle_since) return false;
        entry.second->Close();
        return true;
      });
      if (!self->flows_.empty()) self->Sweep();
    });
  }

  using Key = std::pair<uint32_t, uint16_t>;  // network byte order, as received
  ForwarderContext* const ctx_;
  const std::shared_ptr<PortBackends> backends_;
  const bool external_;
  udp::socket socket_;
  asio::steady_timer sweep_;
  bool sweeping_ = false;
  std::map<Key, std::shared_ptr<UdpFlow>> flows_;
};

void UdpFlow::WaitReply() {
  socket_.async_wait(udp::socket::wait_read, [self = shared_from_this()](error_code ec) {
    if (ec || !self->socket_.is_open()) return;
    std::shared_ptr<UdpListener> listener = self->listener_.lock();
    if (!listener) return;
    for (int i = 0; i < kBatch; ++i) {
      ssize_t n = recv(self->socket_.native_handle(), self->ctx_->scratch.data(),
                       self->ctx_->scratch.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) continue;  // e.g. refused: next one
        break;
      }
      self->last_active_ = std::chrono::steady_clock::now();
      listener->Reply(self->client_, self->local_, self->ctx_->scratch.data(),
                      static_cast<size_t>(n));
    }
    self->WaitReply();
  });
}

}  // namespace

Result<std::shared_ptr<Listener>> ListenUdp(ForwarderContext* ctx,
                                            std::shared_ptr<PortBackends> backends, uint32_t ipv4,
                                            uint16_t port, bool external) {
  auto listener = std::make_shared<UdpListener>(ctx, std::move(backends), external);
  CAPSTAN_RETURN_IF_ERROR(listener->Bind(ipv4, port));
  listener->Start();
  return std::shared_ptr<Listener>(std::move(listener));
}

}  // namespace capstan::proxy
