// Cluster DNS transport on Boost.Asio (dns_server.h).
#include "core/dns/dns_server.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <thread>

#include "core/common/log.h"

namespace capstan::dns {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

namespace {

constexpr size_t kMaxUdp = 4096;
constexpr size_t kBatch = 32;  // queries per recvmmsg
constexpr int kRounds = 8;     // batches per readiness before other handlers get a turn

// Sends `query` to each upstream in turn until one answers within the timeout; calls `done`
// with the reply, or "" when none did. Lives as long as an operation holds it.
class Forward : public std::enable_shared_from_this<Forward> {
 public:
  Forward(asio::io_context& io, std::vector<udp::endpoint> upstreams,
          std::chrono::milliseconds timeout, std::string query,
          std::function<void(std::string)> done)
      : socket_(io),
        timer_(io),
        upstreams_(std::move(upstreams)),
        timeout_(timeout),
        query_(std::move(query)),
        done_(std::move(done)) {}

  void Next() {
    if (next_ >= upstreams_.size()) return Finish("");
    const udp::endpoint& to = upstreams_[next_++];
    error_code ec;
    if (socket_.is_open()) socket_.close(ec);
    socket_.open(to.protocol(), ec);
    if (ec) return Next();
    auto self = shared_from_this();
    socket_.async_send_to(asio::buffer(query_), to, [self](error_code e, size_t) {
      if (e) return self->Next();
      self->Receive();
    });
    timer_.expires_after(timeout_);
    timer_.async_wait([self](error_code e) {
      if (!e) self->socket_.close(e);  // ends the receive with an error: try the next one
    });
  }

 private:
  void Receive() {
    auto self = shared_from_this();
    socket_.async_receive_from(asio::buffer(buf_), from_, [self](error_code e, size_t n) {
      self->timer_.cancel();
      if (e || n < 2 || self->buf_[0] != self->query_[0] || self->buf_[1] != self->query_[1]) {
        return self->Next();
      }
      self->Finish(std::string(self->buf_.data(), n));
    });
  }
  void Finish(std::string reply) {
    error_code ec;
    socket_.close(ec);
    timer_.cancel();
    if (done_) {
      auto done = std::move(done_);
      done_ = nullptr;
      done(std::move(reply));
    }
  }

  udp::socket socket_;
  asio::steady_timer timer_;
  std::vector<udp::endpoint> upstreams_;
  std::chrono::milliseconds timeout_;
  std::string query_;
  std::function<void(std::string)> done_;
  size_t next_ = 0;
  std::array<char, kMaxUdp> buf_{};
  udp::endpoint from_;
};

Result<udp::endpoint> ParseUpstream(const std::string& text) {
  std::string host = text;
  uint16_t port = 53;
  if (size_t colon = text.rfind(':'); colon != std::string::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    std::string_view p(text);
    p.remove_prefix(colon + 1);
    if (std::from_chars(p.data(), p.data() + p.size(), port).ec != std::errc()) {
      return InvalidError("upstream \"" + text + "\": bad port");
    }
  }
  error_code ec;
  asio::ip::address addr = asio::ip::make_address(host, ec);
  if (ec) return InvalidError("upstream \"" + text + "\" is not an IP address");
  return udp::endpoint(addr, port);
}

}  // namespace

struct DnsServer::Impl {
  Impl(const DnsServerOptions& o, const ClusterView* view)
      : options(o), records(view, o.cluster_domain, o.ttl) {}

  // The reply to one query, or "" to drop it; `reply` gets it (now or after forwarding).
  void Answer(std::string_view wire, const std::function<void(std::string)>& reply) {
    Result<Query> q = ParseQuery(wire);
    if (!q.ok()) {
      if (wire.size() >= 12) {  // FORMERR with the id, no question
        std::string out(wire.substr(0, 12));
        out[2] = static_cast<char>(0x80 | (out[2] & 0x01));
        out[3] = static_cast<char>(static_cast<uint8_t>(Rcode::kFormErr));
        for (int i = 4; i < 12; ++i) out[i] = 0;
        reply(std::move(out));
      }
      return;
    }
    dns::Answer a = records.Resolve(q->question);
    switch (a.kind) {
      case dns::Answer::Kind::kAnswer:
        return reply(BuildResponse(
            *q, Rcode::kNoError, true, a.answers,
            a.answers.empty() ? std::vector<Record>{records.Soa()} : std::vector<Record>{},
            a.additional));
      case dns::Answer::Kind::kNxDomain:
        return reply(BuildResponse(*q, Rcode::kNxDomain, true, {}, {records.Soa()}));
      case dns::Answer::Kind::kNotOurs:
        break;
    }
    if (upstreams.empty()) return reply(BuildResponse(*q, Rcode::kServFail, false, {}));
    auto fwd = std::make_shared<Forward>(
        io, upstreams, options.upstream_timeout, std::string(wire),
        [query = *q, reply](std::string r) {
          reply(r.empty() ? BuildResponse(query, Rcode::kServFail, false, {}) : std::move(r));
        });
    fwd->Next();
  }

  // One UDP socket and its batch buffers. Queries are read and answered in batches with
  // recvmmsg/sendmmsg once Asio reports the socket readable: two system calls per batch instead
  // of two per query, which is most of the cost of a cluster-name answer.
  struct UdpListener {
    explicit UdpListener(asio::io_context& io) : socket(io) {}
    udp::socket socket;
    std::vector<std::array<char, kMaxUdp>> bufs = std::vector<std::array<char, kMaxUdp>>(kBatch);
    std::array<sockaddr_storage, kBatch> from{};
    // While a batch is answered, synchronous replies collect here; forwarded ones (answered
    // later) are sent on their own.
    bool collecting = false;
    struct Reply {
      std::string data;
      sockaddr_storage to;
      socklen_t to_len;
    };
    std::vector<Reply> replies;
  };

  void ReceiveUdp(UdpListener* l) {
    l->socket.async_wait(udp::socket::wait_read, [this, l](error_code e) {
      if (e == asio::error::operation_aborted || !l->socket.is_open()) return;
      if (!e && DrainUdp(l)) {
        // Still more queued: let other handlers run first, then continue.
        asio::post(io, [this, l] {
          if (l->socket.is_open()) ReceiveUdpNow(l);
        });
        return;
      }
      // The socket is drained (EAGAIN) and the wait re-armed in this same handler, so the next
      // readiness edge (the reactor is edge-triggered) cannot be missed.
      ReceiveUdp(l);
    });
  }

  void ReceiveUdpNow(UdpListener* l) {
    if (DrainUdp(l)) {
      asio::post(io, [this, l] {
        if (l->socket.is_open()) ReceiveUdpNow(l);
      });
      return;
    }
    ReceiveUdp(l);
  }

  // Answers up to kRounds batches; true when the last batch was full (more may be queued).
  bool DrainUdp(UdpListener* l) {
    const int fd = l->socket.native_handle();
    for (int round = 0; round < kRounds; ++round) {
      std::array<mmsghdr, kBatch> msgs{};
      std::array<iovec, kBatch> iov{};
      for (size_t i = 0; i < kBatch; ++i) {
        iov[i] = {l->bufs[i].data(), kMaxUdp};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &l->from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      }
      int n = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return false;
      l->collecting = true;
      for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
        UdpListener::Reply to{{}, l->from[i], msgs[i].msg_hdr.msg_namelen};
        Answer(std::string_view(l->bufs[i].data(), msgs[i].msg_len),
               [l, to](std::string out) mutable {
                 if (l->collecting) {
                   to.data = std::move(out);
                   l->replies.push_back(std::move(to));
                   return;
                 }
                 udp::endpoint ep;
                 std::memcpy(ep.data(), &to.to, to.to_len);
                 ep.resize(to.to_len);
                 auto data = std::make_shared<std::string>(std::move(out));
                 l->socket.async_send_to(asio::buffer(*data), ep, [data](error_code, size_t) {});
               });
      }
      l->collecting = false;
      SendReplies(fd, l);
      if (n < static_cast<int>(kBatch)) return false;
    }
    return true;
  }

  // Sends the collected replies (best effort, as UDP: a full socket buffer drops the rest).
  static void SendReplies(int fd, UdpListener* l) {
    std::array<mmsghdr, kBatch> msgs{};
    std::array<iovec, kBatch> iov{};
    size_t count = std::min(l->replies.size(), kBatch);
    for (size_t i = 0; i < count; ++i) {
      UdpListener::Reply& r = l->replies[i];
      iov[i] = {r.data.data(), r.data.size()};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &r.to;
      msgs[i].msg_hdr.msg_namelen = r.to_len;
    }
    size_t sent = 0;
    while (sent < count) {
      int m = sendmmsg(fd, msgs.data() + sent, static_cast<unsigned>(count - sent), MSG_DONTWAIT);
      if (m <= 0) break;
      sent += static_cast<size_t>(m);
    }
    l->replies.clear();
  }

  struct TcpConn : std::enable_shared_from_this<TcpConn> {
    TcpConn(Impl* s, tcp::socket sock) : server(s), socket(std::move(sock)) {}
    void ReadLength() {
      auto self = shared_from_this();
      asio::async_read(socket, asio::buffer(len), [self](error_code e, size_t) {
        if (e) return;
        size_t n = (static_cast<uint8_t>(self->len[0]) << 8) | static_cast<uint8_t>(self->len[1]);
        self->body.resize(n);
        asio::async_read(self->socket, asio::buffer(self->body), [self](error_code e2, size_t) {
          if (e2) return;
          self->server->Answer(self->body, [self](const std::string& out) {
            auto data = std::make_shared<std::string>();
            data->push_back(static_cast<char>(out.size() >> 8));
            data->push_back(static_cast<char>(out.size() & 0xff));
            data->append(out);
            asio::async_write(self->socket, asio::buffer(*data),
                              [self, data](error_code e3, size_t) {
                                if (!e3) self->ReadLength();
                              });
          });
        });
      });
    }
    Impl* server;
    tcp::socket socket;
    std::array<char, 2> len{};
    std::string body;
  };

  void Accept(tcp::acceptor* acceptor) {
    acceptor->async_accept([this, acceptor](error_code e, tcp::socket sock) {
      if (e == asio::error::operation_aborted || !acceptor->is_open()) return;
      if (!e) std::make_shared<TcpConn>(this, std::move(sock))->ReadLength();
      Accept(acceptor);
    });
  }

  void CloseAll() {
    error_code e;
    for (auto& l : udp_listeners) l->socket.close(e);
    for (auto& a : acceptors) a->close(e);
  }

  // Binds UDP and TCP on port `wanted` of every address (with 0, the first socket picks the
  // port); on error everything bound so far is closed again.
  Status Bind(const std::vector<asio::ip::address>& addrs, uint16_t wanted) {
    CloseAll();
    udp_listeners.clear();
    acceptors.clear();
    uint16_t p = wanted;
    for (size_t i = 0; i < addrs.size(); ++i) {
      const bool free_bind = i != 0;
      error_code e;
      auto l = std::make_unique<UdpListener>(io);
      udp::endpoint uep(addrs[i], p);
      l->socket.open(uep.protocol(), e);
      if (!e && free_bind) e = SetFreeBind(l->socket.native_handle());
      if (!e) l->socket.bind(uep, e);
      if (!e && p == 0) p = l->socket.local_endpoint(e).port();
      if (e) return Failed("UDP", addrs[i], p, e);
      udp_listeners.push_back(std::move(l));
      auto a = std::make_unique<tcp::acceptor>(io);
      tcp::endpoint tep(addrs[i], p);
      a->open(tep.protocol(), e);
      if (!e) a->set_option(asio::socket_base::reuse_address(true), e);
      if (!e && free_bind) e = SetFreeBind(a->native_handle());
      if (!e) a->bind(tep, e);
      if (!e) a->listen(asio::socket_base::max_listen_connections, e);
      if (e) return Failed("TCP", addrs[i], p, e);
      acceptors.push_back(std::move(a));
    }
    port = p;
    return Status::Ok();
  }

  Status Failed(const char* proto, const asio::ip::address& addr, uint16_t p, error_code e) {
    CloseAll();
    return UnavailableError(std::string("DNS: cannot bind ") + proto + " " + addr.to_string() +
                            ":" + std::to_string(p) + ": " + e.message());
  }

  static error_code SetFreeBind(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) != 0) {
      return {errno, boost::system::system_category()};
    }
    return {};
  }

  DnsServerOptions options;
  ClusterRecords records;
  std::vector<udp::endpoint> upstreams;
  asio::io_context io;
  std::vector<std::unique_ptr<UdpListener>> udp_listeners;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::thread thread;
  uint16_t port = 0;
};

DnsServer::DnsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DnsServer::~DnsServer() { Stop(); }
uint16_t DnsServer::port() const { return impl_->port; }

Result<std::unique_ptr<DnsServer>> DnsServer::Start(const DnsServerOptions& options,
                                                    const ClusterView* view) {
  auto impl = std::make_unique<Impl>(options, view);
  for (const std::string& u : options.upstreams) {
    Result<udp::endpoint> ep = ParseUpstream(u);
    if (!ep.ok()) return ep.status();
    impl->upstreams.push_back(*ep);
  }
  std::vector<asio::ip::address> addrs;
  std::vector<std::string> names = {options.address};
  names.insert(names.end(), options.extra_addresses.begin(), options.extra_addresses.end());
  for (const std::string& name : names) {
    error_code ec;
    addrs.push_back(asio::ip::make_address(name, ec));
    if (ec) return InvalidError("DNS address \"" + name + "\" is not an IP address");
  }
  // With port 0 the first UDP socket picks the port and the others take the same number
  // (retried when another process holds it on one of them).
  Status bound = Status::Ok();
  for (int attempt = 0; attempt < 20; ++attempt) {
    bound = impl->Bind(addrs, options.port);
    if (bound.ok() || options.port != 0) break;
  }
  if (!bound.ok()) return bound;
  for (auto& l : impl->udp_listeners) impl->ReceiveUdp(l.get());
  for (auto& a : impl->acceptors) impl->Accept(a.get());
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    try {  // Asio rethrows what a handler throws; none should (allocation failure aside)
      raw->io.run();
    } catch (const std::exception& e) {
      log::Error("dns", "server loop ended", {{"error", e.what()}});
    }
  });
  return std::unique_ptr<DnsServer>(new DnsServer(std::move(impl)));
}

void DnsServer::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl] {
    impl->CloseAll();
    impl->io.stop();
  });
  impl_->thread.join();
}

}  // namespace capstan::dns
