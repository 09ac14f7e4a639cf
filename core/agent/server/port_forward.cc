// Port-forward sessions (port_forward.h). All state lives on the taken connection's strand;
// only the dial (entering the pod's network namespace) runs on a thread of its own and posts
// its result back.
#include "core/agent/server/port_forward.h"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <deque>
#include <map>
#include <thread>
#include <utility>

#include "core/agent/server/spdy_session.h"
#include "core/apiserver/http_request.h"

namespace capstan::agent::server {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using Executor = asio::ip::tcp::socket::executor_type;

constexpr char kPortForwardProtocol[] = "portforward.k8s.io";
constexpr char kTunnelProtocol[] = "SPDY/3.1+portforward.k8s.io";

// One forwarded connection: the client's error and data streams and the pod socket.
struct Pair {
  std::string request_id;
  uint32_t error_id = 0;
  uint32_t data_id = 0;
  uint16_t port = 0;
  bool dialing = false;
  std::unique_ptr<asio::ip::tcp::socket> socket;
  std::deque<std::string> to_pod;  // client bytes not yet written to the pod
  bool writing = false;
  bool client_fin = false;  // the client half-closed its data stream
  bool pod_eof = false;     // the pod side closed: data and error streams got their FIN
  std::array<char, 32 << 10> buf{};
};

class Forwarder : public std::enable_shared_from_this<Forwarder> {
 public:
  Forwarder(std::shared_ptr<SpdySession> session, PortForwardParams params, Executor ex)
      : session_(std::move(session)), params_(std::move(params)), ex_(std::move(ex)) {}

  void Start() {
    auto self = shared_from_this();
    SpdySession::Callbacks cb;
    cb.on_stream = [self](uint32_t id, const SpdyHeaders& h, bool fin) {
      self->OnStream(id, h, fin);
    };
    cb.on_data = [self](uint32_t id, std::string data, bool fin) {
      self->OnData(id, std::move(data), fin);
    };
    cb.on_reset = [self](uint32_t id) { self->OnReset(id); };
    cb.on_end = [self] { self->OnEnd(); };
    session_->Start(std::move(cb));
  }

 private:
  void OnStream(uint32_t id, const SpdyHeaders& headers, bool /*fin*/) {
    session_->Reply(id);
    std::string type = SpdyHeader(headers, "streamtype");
    std::string port_text = SpdyHeader(headers, "port");
    std::string request_id = SpdyHeader(headers, "requestid");
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    bool port_ok = ec == std::errc() && end == port_text.data() + port_text.size() && port > 0 &&
                   port <= 65535;
    if ((type != "error" && type != "data") || !port_ok) {
      std::string why = !port_ok ? "invalid port \"" + port_text + "\"" : "bad streamtype";
      if (type == "error") session_->Data(id, why, true);
      session_->Reset(id, kSpdyRstProtocolError);
      return;
    }
    std::shared_ptr<Pair>& pair = pairs_[request_id];
    if (pair == nullptr) {
      pair = std::make_shared<Pair>();
      pair->request_id = request_id;
    }
    (type == "error" ? pair->error_id : pair->data_id) = id;
    pair->port = static_cast<uint16_t>(port);
    streams_[id] = pair;
    if (pair->error_id != 0 && pair->data_id != 0 && !pair->dialing) Dial(pair);
  }

  void Dial(const std::shared_ptr<Pair>& pair) {
    pair->dialing = true;
    std::weak_ptr<Forwarder> weak = weak_from_this();
    std::thread([weak, pair, dial = params_.dial, ex = ex_] {
      Result<int> fd = dial(pair->port);
      asio::post(ex, [weak, pair, fd = std::move(fd)] {
        std::shared_ptr<Forwarder> self = weak.lock();
        if (self == nullptr || self->ended_) {
          if (fd.ok()) close(*fd);
          return;
        }
        self->OnDialed(pair, fd);
      });
    }).detach();
  }

  void OnDialed(const std::shared_ptr<Pair>& pair, const Result<int>& fd) {
    if (!pair->dialing) {  // reset while dialing
      if (fd.ok()) close(*fd);
      return;
    }
    if (!fd.ok()) {
      std::string msg = "error forwarding port " + std::to_string(pair->port) + " to pod " +
                        params_.ns + "/" + params_.pod + ": " + fd.status().message();
      session_->Data(pair->error_id, msg, true);
      session_->Data(pair->data_id, "", true);
      return Forget(pair);
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    getsockname(*fd, reinterpret_cast<sockaddr*>(&addr), &len);
    auto protocol = addr.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4();
    pair->socket = std::make_unique<asio::ip::tcp::socket>(ex_);
    error_code ec;
    pair->socket->assign(protocol, *fd, ec);
    if (ec) {
      close(*fd);
      session_->Data(pair->error_id, "error forwarding port: " + ec.message(), true);
      session_->Data(pair->data_id, "", true);
      return Forget(pair);
    }
    WriteToPod(pair);
    ReadFromPod(pair);
  }

  void ReadFromPod(const std::shared_ptr<Pair>& pair) {
    if (pair->socket == nullptr) return;
    pair->socket->async_read_some(
        asio::buffer(pair->buf), [self = shared_from_this(), pair](error_code ec, size_t n) {
          if (pair->socket == nullptr) return;  // reset meanwhile
          if (ec) return self->OnPodClosed(pair);
          self->session_->Data(pair->data_id, std::string(pair->buf.data(), n), false,
                               [self, pair] { self->ReadFromPod(pair); });
        });
  }

  // The pod closed its side: FIN on both streams, as the kubelet does when its copy ends.
  void OnPodClosed(const std::shared_ptr<Pair>& pair) {
    if (pair->pod_eof) return;
    pair->pod_eof = true;
    session_->Data(pair->data_id, "", true);
    session_->Data(pair->error_id, "", true);
    Forget(pair);
  }

  void WriteToPod(const std::shared_ptr<Pair>& pair) {
    if (pair->socket == nullptr || pair->writing) return;
    if (pair->to_pod.empty()) {
      error_code ec;
      if (pair->client_fin) pair->socket->shutdown(asio::socket_base::shutdown_send, ec);
      return;
    }
    pair->writing = true;
    asio::async_write(*pair->socket, asio::buffer(pair->to_pod.front()),
                      [self = shared_from_this(), pair](error_code ec, size_t) {
                        pair->writing = false;
                        if (pair->socket == nullptr) return;
                        pair->to_pod.pop_front();
                        if (ec) return self->OnPodClosed(pair);
                        self->WriteToPod(pair);
                      });
  }

  void OnData(uint32_t id, std::string data, bool fin) {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    std::shared_ptr<Pair> pair = it->second;
    if (id != pair->data_id) return;  // the error stream carries nothing from the client
    if (!data.empty()) pair->to_pod.push_back(std::move(data));
    if (fin) pair->client_fin = true;
    WriteToPod(pair);
  }

  void OnReset(uint32_t id) {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    std::shared_ptr<Pair> pair = it->second;
    Forget(pair);
  }

  // Drops the pair: closes its socket (a pending dial's result is discarded).
  void Forget(const std::shared_ptr<Pair>& pair) {
    pair->dialing = false;
    if (pair->socket != nullptr) {
      error_code ec;
      pair->socket->close(ec);
      pair->socket.reset();
    }
    streams_.erase(pair->error_id);
    streams_.erase(pair->data_id);
    auto it = pairs_.find(pair->request_id);
    if (it != pairs_.end() && it->second == pair) pairs_.erase(it);
  }

  void OnEnd() {
    ended_ = true;
    std::map<std::string, std::shared_ptr<Pair>> pairs = pairs_;
    for (auto& [id, pair] : pairs) Forget(pair);
  }

  std::shared_ptr<SpdySession> session_;
  PortForwardParams params_;
  Executor ex_;
  std::map<std::string, std::shared_ptr<Pair>> pairs_;  // by requestid
  std::map<uint32_t, std::shared_ptr<Pair>> streams_;   // by stream id
  bool ended_ = false;
};

bool OffersWebSocketProtocol(const apiserver::HttpRequest& r, std::string_view protocol) {
  for (std::string_view h : r.headers.GetAll("sec-websocket-protocol")) {
    if (apiserver::HeaderHasToken(h, protocol)) return true;
  }
  return false;
}

}  // namespace

Status StartPortForward(const std::shared_ptr<apiserver::HttpExchange>& exchange,
                        PortForwardParams params) {
  const apiserver::HttpRequest& r = exchange->request();
  auto ready = [params = std::move(params)](std::unique_ptr<SpdyTransport> transport,
                                            std::string initial) mutable {
    if (transport == nullptr) return;
    Executor ex = transport->executor();
    auto session = std::make_shared<SpdySession>(std::move(transport), std::move(initial));
    std::make_shared<Forwarder>(std::move(session), std::move(params), std::move(ex))->Start();
  };
  if (IsSpdyUpgrade(r)) {
    std::string protocol = ChooseStreamProtocol(r, {kPortForwardProtocol});
    if (protocol.empty()) {
      return BadRequestError(std::string("X-Stream-Protocol-Version must offer ") +
                             kPortForwardProtocol);
    }
    return AcceptSpdyUpgrade(exchange, protocol, std::move(ready));
  }
  if (OffersWebSocketProtocol(r, kTunnelProtocol)) {
    return AcceptWebSocketTunnel(exchange, kTunnelProtocol, std::move(ready));
  }
  return BadRequestError(
      "port-forward needs an upgrade to SPDY/3.1 (X-Stream-Protocol-Version: "
      "portforward.k8s.io) or a WebSocket with subprotocol SPDY/3.1+portforward.k8s.io");
}

Status ServePortForward(const std::shared_ptr<apiserver::HttpExchange>& exchange,
                        const PodLookup& get_pod, const RuntimeCall& runtime, const std::string& ns,
                        const std::string& pod) {
  std::shared_ptr<const nlohmann::json> object = get_pod(ns, pod);
  if (object == nullptr) return NotFoundError("pods \"" + pod + "\" not found");
  std::string phase = object->value("status", nlohmann::json::object()).value("phase", "");
  if (phase != "Running") {
    return BadRequestError("unable to forward port because pod is not running. Current status=" +
                           phase);
  }
  if (!runtime) return UnimplementedError("this node agent cannot reach its runtime");
  PortForwardParams params;
  params.ns = ns;
  params.pod = pod;
  params.dial = [object, runtime](uint16_t port) -> Result<int> {
    Result<std::string> netns = PodNetnsPath(*object, runtime);
    if (!netns.ok()) return netns.status();
    return DialInNetns(*netns, port);
  };
  return StartPortForward(exchange, std::move(params));
}

}  // namespace capstan::agent::server
