// Cluster DNS transport on Boost.Asio (dns_server.h).
#include "core/dns/dns_server.h"

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
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
      : options(o), records(view, o.cluster_domain, o.ttl), udp_socket(io), acceptor(io) {}

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
    Query query = *q;
    auto fwd = std::make_shared<Forward>(
        io, upstreams, options.upstream_timeout, std::string(wire), [query, reply](std::string r) {
          reply(r.empty() ? BuildResponse(query, Rcode::kServFail, false, {}) : std::move(r));
        });
    fwd->Next();
  }

  void ReceiveUdp() {
    udp_socket.async_receive_from(asio::buffer(udp_buf), udp_from, [this](error_code e, size_t n) {
      if (e == asio::error::operation_aborted || !udp_socket.is_open()) return;
      if (!e) {
        udp::endpoint to = udp_from;
        Answer(std::string_view(udp_buf.data(), n), [this, to](std::string out) {
          auto data = std::make_shared<std::string>(std::move(out));
          udp_socket.async_send_to(asio::buffer(*data), to, [data](error_code, size_t) {});
        });
      }
      ReceiveUdp();
    });
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

  void Accept() {
    acceptor.async_accept([this](error_code e, tcp::socket sock) {
      if (e == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!e) std::make_shared<TcpConn>(this, std::move(sock))->ReadLength();
      Accept();
    });
  }

  DnsServerOptions options;
  ClusterRecords records;
  std::vector<udp::endpoint> upstreams;
  asio::io_context io;
  udp::socket udp_socket;
  tcp::acceptor acceptor;
  std::array<char, kMaxUdp> udp_buf{};
  udp::endpoint udp_from;
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
  error_code ec;
  asio::ip::address addr = asio::ip::make_address(options.address, ec);
  if (ec) return InvalidError("DNS address \"" + options.address + "\" is not an IP address");
  // With port 0 the UDP port is picked first and TCP takes the same number (retried when
  // another process holds it over TCP).
  for (int attempt = 0; attempt < 20; ++attempt) {
    error_code e;
    if (impl->udp_socket.is_open()) impl->udp_socket.close(e);
    if (impl->acceptor.is_open()) impl->acceptor.close(e);
    udp::endpoint uep(addr, options.port);
    impl->udp_socket.open(uep.protocol(), e);
    if (!e) impl->udp_socket.bind(uep, e);
    if (e)
      return UnavailableError("DNS: cannot bind UDP " + options.address + ":" +
                              std::to_string(options.port) + ": " + e.message());
    uint16_t port = impl->udp_socket.local_endpoint(e).port();
    tcp::endpoint tep(addr, port);
    impl->acceptor.open(tep.protocol(), e);
    if (!e) impl->acceptor.set_option(asio::socket_base::reuse_address(true), e);
    if (!e) impl->acceptor.bind(tep, e);
    if (!e) impl->acceptor.listen(asio::socket_base::max_listen_connections, e);
    if (!e) {
      impl->port = port;
      break;
    }
    if (options.port != 0) {
      return UnavailableError("DNS: cannot bind TCP " + options.address + ":" +
                              std::to_string(options.port) + ": " + e.message());
    }
  }
  if (impl->port == 0) return UnavailableError("DNS: no free port for both UDP and TCP");
  impl->ReceiveUdp();
  impl->Accept();
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
    error_code e;
    impl->udp_socket.close(e);
    impl->acceptor.close(e);
    impl->io.stop();
  });
  impl_->thread.join();
}

}  // namespace capstan::dns
