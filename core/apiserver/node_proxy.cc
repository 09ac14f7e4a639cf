// NodeProxy (node_proxy.h): agent endpoints, the TLS client context, and the session kinds —
// `LogSession` (agent body -> chunked HttpExchange), `UpgradeSession` (101 relay, then a byte
// splice between the taken-over client socket and the agent socket) and `FetchSession` (a
// buffered GET for the metrics scraper).
#include "core/apiserver/node_proxy.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <limits>
#include <optional>
#include <thread>

#include "core/apiserver/http_request.h"
#include "core/apiserver/status_json.h"

namespace capstan::apiserver {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using AgentStream = beast::ssl_stream<beast::tcp_stream>;

// Something the proxy can end on Shutdown. Cancel may be called from any thread.
class ProxySession {
 public:
  virtual ~ProxySession() = default;
  virtual void Cancel() = 0;
};

namespace {

constexpr size_t kPumpBytes = 32 * 1024;

// What a session needs from NodeProxyOptions (copied: upgrade sessions may outlive the proxy).
struct Limits {
  std::chrono::milliseconds connect_timeout;
  size_t max_error_body_bytes;
};

std::string HostPort(const std::string& host, int64_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// Splits "host:port" / "[v6]:port".
bool SplitEndpoint(const std::string& endpoint, std::string* host, std::string* port) {
  size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == endpoint.size()) return false;
  *host = endpoint.substr(0, colon);
  *port = endpoint.substr(colon + 1);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return true;
}

std::string StatusBody(const Status& status) { return FailureStatus(status).dump(); }

// A complete raw HTTP/1.1 response that closes the connection (written on taken-over sockets).
std::string RawResponse(unsigned status, beast::string_view reason, const HttpHeaders& headers,
                        const std::string& body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  return out + body;
}

bool IsHopByHop(beast::string_view name) {
  for (beast::string_view h : {"connection", "keep-alive", "transfer-encoding", "content-length",
                               "upgrade", "te", "trailer", "proxy-connection"}) {
    if (beast::iequals(name, h)) return true;
  }
  return false;
}

// Creates the agent stream; Beast/OpenSSL constructors throw on allocation failure.
Result<std::unique_ptr<AgentStream>> NewAgentStream(const asio::any_io_executor& ex,
                                                    asio::ssl::context& tls) {
  try {
    return std::make_unique<AgentStream>(ex, tls);
  } catch (const std::exception& e) {
    return InternalError(std::string("creating a TLS client stream: ") + e.what());
  }
}

// What both session kinds share: the agent connection, dialed (resolve, connect, handshake)
// on the stream's executor, the request sent and the reply head read into `parser_`, then
// `Derived::OnHeader`. Failures up to there go to `Derived::Fail(what)`; `Cancel` runs
// `Derived::Close` on the executor.
template <typename Derived, typename Body>
class AgentSession : public ProxySession, public std::enable_shared_from_this<Derived> {
 public:
  void Cancel() override {
    asio::post(agent_->get_executor(), [self = this->shared_from_this()] { self->Close(); });
  }

 protected:
  AgentSession(std::unique_ptr<AgentStream> agent, std::shared_ptr<asio::ssl::context> tls,
               Limits limits, uint64_t head_body_limit)
      : limits_(limits),
        tls_(std::move(tls)),
        agent_(std::move(agent)),
        resolver_(agent_->get_executor()) {
    parser_.body_limit(head_body_limit);
  }

  void Exchange(std::string endpoint, std::string request) {
    endpoint_ = std::move(endpoint);
    request_ = std::move(request);
    std::shared_ptr<Derived> self = this->shared_from_this();
    std::string host;
    std::string port;
    if (!SplitEndpoint(endpoint_, &host, &port)) {
      return asio::post(agent_->get_executor(), [self] {
        self->Fail("invalid node agent endpoint \"" + self->endpoint_ + "\"");
      });
    }
    beast::get_lowest_layer(*agent_).expires_after(limits_.connect_timeout);
    resolver_.async_resolve(
        host, port, tcp::resolver::numeric_service,
        [self](beast::error_code ec, const tcp::resolver::results_type& results) {
          if (ec) return self->Fail("resolving: " + ec.message());
          beast::get_lowest_layer(*self->agent_)
              .async_connect(results, [self](beast::error_code ec2, const tcp::endpoint&) {
                if (ec2) return self->Fail("connecting: " + ec2.message());
                self->agent_->async_handshake(
                    asio::ssl::stream_base::client, [self](beast::error_code ec3) {
                      if (ec3) {
                        return self->Fail("TLS handshake: " + ec3.message());
                      }
                      self->SendRequest();
                    });
              });
        });
  }

  void CloseAgent() {
    resolver_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(*agent_).socket().close(ignored);
  }

  Limits limits_;
  std::shared_ptr<asio::ssl::context> tls_;  // outlives agent_
  std::unique_ptr<AgentStream> agent_;
  tcp::resolver resolver_;
  std::string endpoint_;
  std::string request_;
  beast::flat_buffer buf_;
  http::response_parser<Body> parser_;

 private:
  void SendRequest() {
    asio::async_write(*agent_, asio::buffer(request_),
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Fail("sending the request: " + ec.message());
                        http::async_read_header(
                            *self->agent_, self->buf_, self->parser_,
                            [self](beast::error_code rec, size_t) {
                              if (rec) return self->Fail("reading the reply: " + rec.message());
                              beast::get_lowest_layer(*self->agent_).expires_never();
                              self->OnHeader();
                            });
                      });
  }
};

// pods/log: agent response body -> chunked exchange. Runs on the proxy's io thread.
class LogSession : public AgentSession<LogSession, http::buffer_body> {
 public:
  LogSession(std::shared_ptr<HttpExchange> exchange, std::unique_ptr<AgentStream> agent,
             std::shared_ptr<asio::ssl::context> tls, Limits limits)
      : AgentSession(std::move(agent), std::move(tls), limits,
                     std::numeric_limits<uint64_t>::max()),
        exchange_(std::move(exchange)) {}

  void Start(std::string endpoint, const std::string& target) {
    std::weak_ptr<LogSession> weak = shared_from_this();
    exchange_->OnClosed([weak] {
      if (auto s = weak.lock()) s->Cancel();
    });
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + endpoint +
                          "\r\nUser-Agent: capstan-apiserver\r\nAccept: */*\r\n\r\n";
    Exchange(std::move(endpoint), std::move(request));
  }

 private:
  friend class AgentSession<LogSession, http::buffer_body>;

  void OnHeader() {
    const auto& head = parser_.get();
    status_ = head.result_int();
    content_type_ = std::string(head[http::field::content_type]);
    if (status_ == 200) {
      HttpHeaders headers = {
          {"Content-Type", content_type_.empty() ? "text/plain" : content_type_}};
      if (!exchange_->StartStream(200, std::move(headers))) return Close();
      streaming_ = true;
    }
    if (parser_.is_done()) return Finish();
    ReadBody();
  }

  void ReadBody() {
    parser_.get().body().data = chunk_.data();
    parser_.get().body().size = chunk_.size();
    http::async_read_some(
        *agent_, buf_, parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::need_buffer) ec = {};
    size_t got = chunk_.size() - parser_.get().body().size;
    if (got > 0) {
      if (streaming_) {
        if (!exchange_->WriteChunk(std::string(chunk_.data(), got))) return Close();
      } else if (error_body_.size() < limits_.max_error_body_bytes) {
        error_body_.append(chunk_.data(), got);
      }
    }
    if (ec || parser_.is_done()) return Finish();
    ReadBody();
  }

  // The agent's body ended (or its connection failed mid-body: the stream just ends).
  void Finish() {
    if (streaming_) {
      exchange_->EndStream();
    } else {
      exchange_->Respond(static_cast<int>(status_),
                         {{"Content-Type", content_type_.empty() ? "text/plain" : content_type_}},
                         std::move(error_body_));
    }
    Close();
  }

  void Fail(const std::string& what) {
    exchange_->Respond(503, {{"Content-Type", "application/json"}},
                       StatusBody(UnavailableError("error talking to the node agent at " +
                                                   endpoint_ + ": " + what)));
    Close();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    if (streaming_) exchange_->EndStream();  // no-op once ended or cut
    CloseAgent();
  }

  std::shared_ptr<HttpExchange> exchange_;
  std::array<char, kPumpBytes> chunk_{};
  unsigned status_ = 0;
  std::string content_type_;
  std::string error_body_;
  bool streaming_ = false;
  bool closed_ = false;
};

// exec/attach/portforward: runs entirely on the taken-over connection's strand.
class UpgradeSession : public AgentSession<UpgradeSession, http::string_body> {
 public:
  UpgradeSession(std::unique_ptr<TlsStream> client, std::unique_ptr<AgentStream> agent,
                 std::shared_ptr<asio::ssl::context> tls, Limits limits)
      : AgentSession(std::move(agent), std::move(tls), limits, limits.max_error_body_bytes),
        client_(std::move(client)) {}

  // `request_head` ends with the blank line; `early` are client bytes already read.
  void Start(std::string endpoint, std::string request_head, const std::string& early) {
    Exchange(std::move(endpoint), std::move(request_head) + early);
  }

 private:
  friend class AgentSession<UpgradeSession, http::string_body>;

  void OnHeader() {
    const auto& head = parser_.get();
    if (head.result_int() == 101) {
      out_ = "HTTP/1.1 101 " + std::string(head.reason()) + "\r\n";
      for (const auto& field : head) {
        out_ += std::string(field.name_string()) + ": " + std::string(field.value()) + "\r\n";
      }
      out_ += "\r\n";
      out_ += beast::buffers_to_string(buf_.data());  // agent bytes right after its 101
      buf_.consume(buf_.size());
      return WriteToClient(true);
    }
    if (parser_.is_done()) return RelayError();
    http::async_read(*agent_, buf_, parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Fail("reading the reply body: " + ec.message());
                       self->RelayError();
                     });
  }

  // A non-101 reply: relayed with its status, content type and body, then the end.
  void RelayError() {
    const auto& msg = parser_.get();
    HttpHeaders headers;
    for (const auto& field : msg) {
      if (!IsHopByHop(field.name_string())) {
        headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
    }
    out_ = RawResponse(msg.result_int(), msg.reason(), headers, msg.body());
    WriteToClient(false);
  }

  void Fail(const std::string& what) {
    if (closed_) return;
    out_ = RawResponse(503, "Service Unavailable", {{"Content-Type", "application/json"}},
                       StatusBody(UnavailableError("error talking to the node agent at " +
                                                   endpoint_ + ": " + what)));
    WriteToClient(false);
  }

  void WriteToClient(bool then_splice) {
    client_writing_ = true;
    asio::async_write(*client_, asio::buffer(out_),
                      [self = shared_from_this(), then_splice](beast::error_code ec, size_t) {
                        self->client_writing_ = false;
                        if (ec || !then_splice) return self->Close();
                        self->PumpUp();
                        self->PumpDown();
                      });
  }

  // Client -> agent.
  void PumpUp() {
    client_->async_read_some(asio::buffer(up_),
                             [self = shared_from_this()](beast::error_code ec, size_t n) {
                               if (ec || self->closed_) return self->Close();
                               asio::async_write(*self->agent_, asio::buffer(self->up_.data(), n),
                                                 [self](beast::error_code ec2, size_t) {
                                                   if (ec2 || self->closed_) return self->Close();
                                                   self->PumpUp();
                                                 });
                             });
  }

  // Agent -> client.
  void PumpDown() {
    agent_->async_read_some(asio::buffer(down_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec || self->closed_) return self->Close();
                              self->client_writing_ = true;
                              asio::async_write(*self->client_, asio::buffer(self->down_.data(), n),
                                                [self](beast::error_code ec2, size_t) {
                                                  self->client_writing_ = false;
                                                  if (ec2 || self->closed_) return self->Close();
                                                  self->PumpDown();
                                                });
                            });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    CloseAgent();
    // A close_notify in the middle of a partial record write would corrupt the stream.
    if (!client_writing_) client_->SendCloseNotify();
    beast::error_code ignored;
    client_->socket().close(ignored);
  }

  std::unique_ptr<TlsStream> client_;
  std::string out_;
  std::array<char, kPumpBytes> up_{};
  std::array<char, kPumpBytes> down_{};
  bool client_writing_ = false;
  bool closed_ = false;
};

// A buffered GET for the metrics scraper. Runs on the proxy's io thread; `done_` runs once.
class FetchSession : public AgentSession<FetchSession, http::string_body> {
 public:
  FetchSession(std::unique_ptr<AgentStream> agent, std::shared_ptr<asio::ssl::context> tls,
               Limits limits, size_t max_body_bytes, NodeProxy::FetchCallback done)
      : AgentSession(std::move(agent), std::move(tls), limits, max_body_bytes),
        done_(std::move(done)) {}

  void Start(std::string endpoint, const std::string& target) {
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + endpoint +
                          "\r\nUser-Agent: capstan-apiserver\r\nAccept: text/plain\r\n"
                          "Connection: close\r\n\r\n";
    Exchange(std::move(endpoint), std::move(request));
  }

 private:
  friend class AgentSession<FetchSession, http::string_body>;

  void OnHeader() {
    // The connect timeout covered the head; the body gets the same budget again.
    beast::get_lowest_layer(*agent_).expires_after(limits_.connect_timeout);
    if (parser_.is_done()) return Finish();
    http::async_read(*agent_, buf_, parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Fail("reading the reply body: " + ec.message());
                       self->Finish();
                     });
  }

  void Finish() {
    NodeProxy::FetchReply reply;
    reply.status = static_cast<int>(parser_.get().result_int());
    reply.body = std::move(parser_.get().body());
    Deliver(std::move(reply));
  }

  void Fail(const std::string& what) {
    Deliver(UnavailableError("error talking to the node agent at " + endpoint_ + ": " + what));
  }

  void Close() { Deliver(UnavailableError("the node proxy is shutting down")); }

  void Deliver(Result<NodeProxy::FetchReply> reply) {
    if (done_ == nullptr) return;
    NodeProxy::FetchCallback done = std::move(done_);
    done_ = nullptr;
    CloseAgent();
    done(std::move(reply));
  }

  NodeProxy::FetchCallback done_;
};

// The request head sent to the agent: the client's method, the agent `target`, and the
// client's headers minus credentials, with Host naming the agent.
std::string UpgradeHead(const HttpRequest& request, const std::string& target,
                        const std::string& endpoint) {
  std::string head = request.method + " " + target + " HTTP/1.1\r\nHost: " + endpoint + "\r\n";
  for (const auto& [name, value] : request.headers.entries()) {
    if (name == "authorization" || name == "host" || name == "content-length" ||
        name == "transfer-encoding" || name.rfind("impersonate-", 0) == 0) {
      continue;
    }
    head += name + ": " + value + "\r\n";
  }
  return head + "\r\n";
}

}  // namespace

Result<std::string> AgentEndpoint(const nlohmann::json& node) {
  const std::string name = node.contains("metadata") ? node["metadata"].value("name", "") : "";
  const nlohmann::json* annotations = nullptr;
  if (node.contains("metadata") && node["metadata"].contains("annotations")) {
    annotations = &node["metadata"]["annotations"];
  }
  if (annotations != nullptr && annotations->is_object()) {
    std::string ep = annotations->value(kAgentEndpointAnnotation, "");
    if (!ep.empty()) return ep;
  }
  const nlohmann::json status = node.value("status", nlohmann::json::object());
  int64_t port = 0;
  if (status.contains("daemonEndpoints") && status["daemonEndpoints"].is_object()) {
    const nlohmann::json& de = status["daemonEndpoints"];
    if (de.contains("kubeletEndpoint") && de["kubeletEndpoint"].is_object()) {
      const nlohmann::json& p = de["kubeletEndpoint"].value("Port", nlohmann::json());
      if (p.is_number_integer()) port = p.get<int64_t>();
    }
  }
  if (port <= 0 || port > 65535) {
    return UnavailableError("node \"" + name +
                            "\" has no agent endpoint (no status.daemonEndpoints."
                            "kubeletEndpoint.Port and no " +
                            kAgentEndpointAnnotation + " annotation)");
  }
  if (status.contains("addresses") && status["addresses"].is_array()) {
    for (const nlohmann::json& a : status["addresses"]) {
      if (a.is_object() && a.value("type", "") == "InternalIP" && !a.value("address", "").empty()) {
        return HostPort(a.value("address", ""), port);
      }
    }
  }
  return UnavailableError("node \"" + name + "\" has no InternalIP address to reach its agent");
}

std::string QueryWithout(std::string_view raw_query, std::string_view name) {
  std::string out;
  size_t i = 0;
  while (i <= raw_query.size()) {
    size_t amp = raw_query.find('&', i);
    if (amp == std::string_view::npos) amp = raw_query.size();
    std::string_view pair = raw_query.substr(i, amp - i);
    i = amp + 1;
    if (pair.empty()) continue;
    Result<std::string> key = PercentDecode(pair.substr(0, pair.find('=')), true);
    if (key.ok() && *key == name) continue;
    if (!out.empty()) out += '&';
    out += pair;
  }
  return out;
}

struct NodeProxy::Impl {
  Limits limits;
  std::shared_ptr<asio::ssl::context> tls;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  mutable std::mutex mu;  // guards sessions, shut_down
  std::vector<std::weak_ptr<ProxySession>> sessions;
  bool shut_down = false;

  // Registers `s` unless shut down (then false).
  bool Track(const std::shared_ptr<ProxySession>& s) {
    std::lock_guard lock(mu);
    if (shut_down) return false;
    std::erase_if(sessions, [](const std::weak_ptr<ProxySession>& w) { return w.expired(); });
    sessions.push_back(s);
    return true;
  }
};

NodeProxy::NodeProxy(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<NodeProxy>> NodeProxy::Create(NodeProxyOptions options) {
  auto impl = std::make_shared<Impl>();
  try {
    impl->tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  } catch (const std::exception& e) {
    return InternalError(std::string("creating the TLS client context: ") + e.what());
  }
  asio::ssl::context& tls = *impl->tls;
  beast::error_code ec;
  tls.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                      asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                  ec);
  // As upstream without --kubelet-certificate-authority: the agent's self-signed serving
  // certificate is not verified.
  tls.set_verify_mode(asio::ssl::verify_none, ec);
  if (!options.client_cert_pem.empty()) {
    tls.use_certificate_chain(asio::buffer(options.client_cert_pem), ec);
    if (ec) return BadRequestError("kubelet-client certificate: " + ec.message());
    tls.use_private_key(asio::buffer(options.client_key_pem), asio::ssl::context::pem, ec);
    if (ec) return BadRequestError("kubelet-client key: " + ec.message());
  }
  impl->limits = {options.connect_timeout, options.max_error_body_bytes};
  impl->work.emplace(impl->io.get_executor());
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<NodeProxy>(new NodeProxy(std::move(impl)));
}

NodeProxy::~NodeProxy() {
  Shutdown();
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void NodeProxy::Shutdown() {
  std::vector<std::weak_ptr<ProxySession>> sessions;
  {
    std::lock_guard lock(impl_->mu);
    impl_->shut_down = true;
    sessions.swap(impl_->sessions);
  }
  for (const auto& w : sessions) {
    if (auto s = w.lock()) s->Cancel();
  }
}

size_t NodeProxy::active_sessions() const {
  std::lock_guard lock(impl_->mu);
  size_t n = 0;
  for (const auto& w : impl_->sessions) n += w.expired() ? 0 : 1;
  return n;
}

void NodeProxy::ProxyStream(const std::shared_ptr<HttpExchange>& exchange, std::string endpoint,
                            const std::string& target) {
  Result<std::unique_ptr<AgentStream>> agent =
      NewAgentStream(impl_->io.get_executor(), *impl_->tls);
  if (!agent.ok()) {
    exchange->Respond(500, {{"Content-Type", "application/json"}}, StatusBody(agent.status()));
    return;
  }
  auto session =
      std::make_shared<LogSession>(exchange, std::move(*agent), impl_->tls, impl_->limits);
  if (!impl_->Track(session)) {
    exchange->Respond(503, {{"Content-Type", "application/json"}},
                      StatusBody(UnavailableError("the server is shutting down")));
    return;
  }
  session->Start(std::move(endpoint), target);
}

void NodeProxy::Fetch(std::string endpoint, const std::string& target,
                      std::chrono::milliseconds timeout, size_t max_body_bytes,
                      FetchCallback done) {
  Result<std::unique_ptr<AgentStream>> agent =
      NewAgentStream(impl_->io.get_executor(), *impl_->tls);
  if (!agent.ok()) return done(agent.status());
  Limits limits = impl_->limits;
  limits.connect_timeout = timeout;
  auto session = std::make_shared<FetchSession>(std::move(*agent), impl_->tls, limits,
                                                max_body_bytes, std::move(done));
  if (!impl_->Track(session)) {
    session->Cancel();  // answers "shutting down" on the io thread
    return;
  }
  asio::post(impl_->io, [session, endpoint = std::move(endpoint), target]() mutable {
    session->Start(std::move(endpoint), target);
  });
}

void NodeProxy::ProxyUpgrade(const std::shared_ptr<HttpExchange>& exchange, std::string endpoint,
                             const std::string& target) {
  std::string head = UpgradeHead(exchange->request(), target, endpoint);
  std::weak_ptr<Impl> weak = impl_;
  exchange->TakeOverSocket(
      [weak, endpoint = std::move(endpoint), head = std::move(head)](TakenSocket taken) mutable {
        if (!taken.stream) return;
        std::shared_ptr<Impl> impl = weak.lock();
        if (!impl) {  // the proxy is gone: the server is stopping
          beast::error_code ignored;
          taken.stream->socket().close(ignored);
          return;
        }
        asio::any_io_executor ex = taken.stream->get_executor();
        Result<std::unique_ptr<AgentStream>> agent = NewAgentStream(ex, *impl->tls);
        if (!agent.ok()) {
          beast::error_code ignored;
          taken.stream->socket().close(ignored);
          return;
        }
        auto session = std::make_shared<UpgradeSession>(std::move(taken.stream), std::move(*agent),
                                                        impl->tls, impl->limits);
        if (!impl->Track(session)) {
          session->Cancel();
          return;
        }
        session->Start(std::move(endpoint), std::move(head), taken.buffered);
      });
}

}  // namespace capstan::apiserver
