// One client connection of the ingress proxy (proxy_internal.h): TLS handshake, then a loop of
// read request head -> route -> relay request to a pooled upstream connection -> relay the
// response, as one Asio coroutine on the connection's strand. Bodies stream through a 16 KiB
// buffer (Beast buffer_body parser/serializer pairs), so neither side is buffered whole.
#include "core/ingress/proxy_internal.h"
//
#include <array>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <limits>

#include "core/apiserver/http_beast.h"
#include "core/apiserver/http_tls_socket.h"

namespace capstan::ingress {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;
using Strand = asio::strand<asio::io_context::executor_type>;
using Request = http::request<http::buffer_body>;
using Response = http::response<http::buffer_body>;

constexpr size_t kHeaderLimit = 64u << 10;
constexpr size_t kPieceBytes = 16u << 10;

std::string_view Sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

auto Token(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

tcp::socket& Lowest(tcp::socket& s) { return s; }
tcp::socket& Lowest(apiserver::TlsSocket& s) { return s.socket(); }

void CloseStream(tcp::socket& s) {
  error_code ignored;
  s.shutdown(tcp::socket::shutdown_send, ignored);
  s.close(ignored);
}
void CloseStream(apiserver::TlsSocket& s) {
  s.SendCloseNotify();
  error_code ignored;
  s.socket().close(ignored);
}

// Hop-by-hop headers (RFC 9110 7.6.1) and those the Connection header names are not forwarded.
template <class Fields>
void DropHopByHop(Fields& f) {
  std::vector<std::string> named;
  for (auto token : http::token_list(f[http::field::connection])) named.emplace_back(token);
  for (const std::string& n : named) f.erase(n);
  for (http::field h :
       {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
        http::field::te, http::field::trailer, http::field::upgrade, http::field::expect}) {
    f.erase(h);
  }
}

// Streams what is left of the body that `p` is parsing from `in` to `out` through `sr` (whose
// header was already written). The Beast relay pattern: the parser fills `buf`, the serializer
// drains it; both report `need_buffer` when their piece is used up. `read_done` runs once,
// as soon as the whole body has been read from `in` and before its last piece is written, so
// that `in` can be reused (pooled) while the client still receives the tail.
template <bool kIsRequest, class In, class Out, class Arm, class ReadDone>
asio::awaitable<error_code> RelayBody(In& in, boost::beast::flat_buffer& in_buf,
                                      http::parser<kIsRequest, http::buffer_body>& p,
                                      http::serializer<kIsRequest, http::buffer_body>& sr, Out& out,
                                      std::array<char, kPieceBytes>& buf, Arm arm,
                                      ReadDone read_done) {
  error_code ec;
  bool reported = false;
  do {
    if (!p.is_done()) {
      p.get().body().data = buf.data();
      p.get().body().size = buf.size();
      arm();
      co_await http::async_read(in, in_buf, p, Token(ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return ec;
      p.get().body().size = buf.size() - p.get().body().size;
      p.get().body().data = buf.data();
      p.get().body().more = !p.is_done();
    } else {
      p.get().body().data = nullptr;
      p.get().body().size = 0;
      p.get().body().more = false;
    }
    if (p.is_done() && !reported) {
      reported = true;
      read_done();
    }
    arm();
    co_await http::async_write(out, sr, Token(ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return ec;
  } while (!p.is_done() && !sr.is_done());
  co_return ec;
}

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(ProxyServer::Impl* impl, Stream stream, Strand strand, bool tls)
      : impl_(impl),
        stream_(std::move(stream)),
        strand_(std::move(strand)),
        timer_(strand_),
        tls_(tls) {}

  static asio::awaitable<void> Run(std::shared_ptr<Session> self) { co_await self->Serve(); }

 private:
  // Arms the no-progress deadline: when it passes, both sockets close and the pending
  // operation fails, which ends the session. Re-arming only moves `deadline_`; the timer is
  // reset only when the new deadline is earlier than the pending wait, so a request costs
  // about one timer operation instead of one per read and write.
  void Arm(std::chrono::milliseconds after) {
    deadline_ = asio::steady_timer::clock_type::now() + after;
    if (timer_pending_ && deadline_ >= timer_.expiry()) return;
    Wait();
  }
  void Wait() {
    timer_pending_ = true;
    timer_.expires_at(deadline_);  // cancels a pending wait, whose handler sees a stale id
    timer_.async_wait(asio::bind_executor(
        strand_, [self = this->shared_from_this(), id = ++wait_id_](const error_code& ec) {
          if (ec || id != self->wait_id_) return;
          self->timer_pending_ = false;
          if (self->finished_) return;
          if (asio::steady_timer::clock_type::now() < self->deadline_) return self->Wait();
          self->Abort();
        }));
  }
  void Abort() {
    error_code ignored;
    if (upstream_) upstream_->close(ignored);
    // A slow endpoint costs only that endpoint; the client connection stays.
    if (connecting_) return;
    aborted_ = true;
    Lowest(stream_).close(ignored);
  }

  asio::awaitable<void> Serve() {
    error_code ec;
    client_ip_ = Lowest(stream_).remote_endpoint(ec).address().to_string();
    local_port_ = std::to_string(Lowest(stream_).local_endpoint(ec).port());
    if constexpr (std::is_same_v<Stream, apiserver::TlsSocket>) {
      Arm(impl_->options.io_timeout);
      co_await stream_.async_handshake(Token(ec));
      if (ec) {
        Finish();
        co_return;
      }
    }
    bool first = true;
    for (;;) {
      http::request_parser<http::buffer_body> req;
      req.header_limit(kHeaderLimit);
      req.body_limit(std::numeric_limits<uint64_t>::max());
      Arm(first ? impl_->options.io_timeout : impl_->options.idle_timeout);
      first = false;
      co_await http::async_read_header(stream_, buf_, req, Token(ec));
      if (ec) {
        if (ec != http::error::end_of_stream && ec != asio::error::eof && !aborted_) {
          co_await Simple(http::status::bad_request, "bad request\n", false);
        }
        Finish();
        co_return;
      }
      impl_->requests.fetch_add(1, std::memory_order_relaxed);
      bool keep = co_await Exchange(req);
      if (!keep || aborted_) {
        Finish();
        co_return;
      }
    }
  }

  void Finish() {
    finished_ = true;
    timer_.cancel();
    if (!aborted_) CloseStream(stream_);
  }

  // Writes a short text response. Returns whether the connection may serve another request.
  asio::awaitable<bool> Simple(http::status status, std::string body, bool keep) {
    http::response<http::string_body> res{status, 11};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.keep_alive(keep);
    res.body() = std::move(body);
    res.prepare_payload();
    error_code ec;
    Arm(impl_->options.io_timeout);
    co_await http::async_write(stream_, res, Token(ec));
    co_return keep && !ec;
  }

  // Routes and proxies one request whose head `req` holds. Returns whether to keep the
  // client connection.
  asio::awaitable<bool> Exchange(http::request_parser<http::buffer_body>& req) {
    Request& msg = req.get();
    const bool client_keep = msg.keep_alive();
    const unsigned client_version = msg.version();
    // An unread request body would be taken for the next request: close after answering.
    const bool can_keep = client_keep && req.is_done();
    std::shared_ptr<const RouteTable> routes = impl_->Routes();
    RouteMatch match;
    if (routes) match = routes->Match(Sv(msg[http::field::host]), Sv(msg.target()));
    if (match.kind == RouteMatch::kNotFound) {
      impl_->not_found.fetch_add(1, std::memory_order_relaxed);
      co_return co_await Simple(http::status::not_found, "404 page not found\n", can_keep);
    }
    if (match.backend->endpoints.empty()) {
      impl_->unavailable.fetch_add(1, std::memory_order_relaxed);
      co_return co_await Simple(http::status::service_unavailable,
                                "503 no ready endpoint for " + match.backend->service + "\n",
                                can_keep);
    }
    const bool expect_continue = boost::beast::iequals(msg[http::field::expect], "100-continue");
    PrepareRequest(msg);
    const bool head = msg.method() == http::verb::head;
    const size_t tries = std::min<size_t>(3, match.backend->endpoints.size());
    for (size_t attempt = 0; attempt < tries; ++attempt) {
      const Endpoint* ep = match.backend->Pick();
      std::string key = ep->address + ":" + std::to_string(ep->port);
      bool reused = false;
      for (;;) {  // a stale pooled connection is retried once on a fresh one
        error_code ec;
        std::optional<tcp::socket> pooled = reused ? std::nullopt : impl_->pool.Take(key);
        reused = pooled.has_value();
        if (pooled) {
          upstream_.emplace(std::move(*pooled));
        } else {
          upstream_.emplace(impl_->io);
          tcp::endpoint to(asio::ip::make_address(ep->address, ec), ep->port);
          if (ec) break;
          impl_->upstream_dials.fetch_add(1, std::memory_order_relaxed);
          Arm(impl_->options.connect_timeout);
          connecting_ = true;
          co_await upstream_->async_connect(to, Token(ec));
          connecting_ = false;
          if (ec || aborted_) break;
          upstream_->set_option(tcp::no_delay(true), ec);
        }
        http::request_serializer<http::buffer_body> sr{msg};
        Arm(impl_->options.io_timeout);
        co_await http::async_write_header(*upstream_, sr, Token(ec));
        if (ec && reused && !aborted_) continue;
        if (ec) break;
        if (expect_continue && !req.is_done()) {
          static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
          co_await asio::async_write(stream_, asio::buffer(kContinue, sizeof(kContinue) - 1),
                                     Token(ec));
          if (ec) co_return false;
        }
        const bool had_body = !req.is_done();
        ec = co_await RelayBody(
            stream_, buf_, req, sr, *upstream_, piece_, [this] { Arm(impl_->options.io_timeout); },
            [] {});
        if (ec) co_return false;  // the client went away mid-body
        boost::beast::flat_buffer up_buf;
        http::response_parser<http::buffer_body> res;
        res.header_limit(kHeaderLimit);
        res.body_limit(std::numeric_limits<uint64_t>::max());
        if (head) res.skip(true);
        Arm(impl_->options.io_timeout);
        co_await http::async_read_header(*upstream_, up_buf, res, Token(ec));
        if (ec && reused && !had_body && !aborted_) continue;
        if (ec) break;
        co_return co_await Respond(res, up_buf, key, client_version, client_keep);
      }
      if (aborted_) co_return false;
    }
    upstream_.reset();
    impl_->bad_gateway.fetch_add(1, std::memory_order_relaxed);
    co_return co_await Simple(http::status::bad_gateway,
                              "502 no endpoint reachable for " + match.backend->service + "\n",
                              can_keep);
  }

  void PrepareRequest(Request& msg) {
    std::string host(msg[http::field::host]);
    DropHopByHop(msg);
    std::string forwarded(msg["X-Forwarded-For"]);
    msg.set("X-Forwarded-For", forwarded.empty() ? client_ip_ : forwarded + ", " + client_ip_);
    msg.set("X-Forwarded-Proto", tls_ ? "https" : "http");
    msg.set("X-Forwarded-Host", host);
    msg.set("X-Forwarded-Port", local_port_);
    msg.set("X-Real-IP", client_ip_);
    msg.version(11);
    msg.keep_alive(true);
  }

  // Relays the response whose head `res` holds back to the client and pools the upstream
  // connection when it completed cleanly.
  asio::awaitable<bool> Respond(http::response_parser<http::buffer_body>& res,
                                boost::beast::flat_buffer& up_buf, const std::string& key,
                                unsigned client_version, bool keep) {
    Response& msg = res.get();
    const bool upstream_keep = msg.keep_alive() && !res.need_eof();
    const unsigned code = msg.result_int();
    const bool has_body = !res.is_done() && code / 100 != 1 && code != 204 && code != 304;
    DropHopByHop(msg);
    if (has_body && !msg.chunked() && !msg.has_content_length()) {
      // Close-delimited upstream body: chunk it for HTTP/1.1 clients, close for HTTP/1.0.
      if (client_version >= 11) {
        msg.chunked(true);
      } else {
        keep = false;
      }
    }
    if (client_version < 11 && msg.chunked()) {
      msg.chunked(false);
      keep = false;
    }
    msg.version(client_version);
    msg.keep_alive(keep);
    http::response_serializer<http::buffer_body> sr{msg};
    error_code ec;
    Arm(impl_->options.io_timeout);
    co_await http::async_write_header(stream_, sr, Token(ec));
    if (ec) co_return false;
    // The upstream connection goes back to the pool once its response is read, before the
    // client has the last bytes: a request the client sends next finds it there.
    tcp::socket& upstream = *upstream_;
    ec = co_await RelayBody(
        upstream, up_buf, res, sr, stream_, piece_, [this] { Arm(impl_->options.io_timeout); },
        [&] {
          if (upstream_keep && up_buf.size() == 0 && !aborted_) {
            impl_->pool.Put(key, std::move(*upstream_));
            upstream_.reset();
          }
        });
    upstream_.reset();
    co_return keep && !ec;
  }

  ProxyServer::Impl* const impl_;
  Stream stream_;
  Strand strand_;
  asio::steady_timer timer_;
  const bool tls_;
  boost::beast::flat_buffer buf_;
  std::array<char, kPieceBytes> piece_{};
  std::optional<tcp::socket> upstream_;
  std::string client_ip_;
  std::string local_port_;
  asio::steady_timer::time_point deadline_;
  uint64_t wait_id_ = 0;
  bool timer_pending_ = false;
  bool finished_ = false;
  bool connecting_ = false;
  bool aborted_ = false;
};

template <class Stream>
void Spawn(ProxyServer::Impl* impl, Stream stream, const Strand& strand, bool tls) {
  auto session = std::make_shared<Session<Stream>>(impl, std::move(stream), strand, tls);
  asio::co_spawn(strand, Session<Stream>::Run(std::move(session)),
                 [](const std::exception_ptr&) {});
}

}  // namespace

void StartSession(ProxyServer::Impl* impl, tcp::socket socket, bool tls) {
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  Strand strand = asio::make_strand(impl->io);
  if (tls) {
    Spawn(impl, apiserver::TlsSocket(std::move(socket), impl->tls->default_context()), strand,
          true);
  } else {
    Spawn(impl, std::move(socket), strand, false);
  }
}

}  // namespace capstan::ingress
