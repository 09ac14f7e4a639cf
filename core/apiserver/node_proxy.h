// `NodeProxy`: the API server's client side of the node streaming contract (ARCH4.md): it
// dials a node agent over TLS with the kubelet-client certificate and passes `pods/log`
// streams through chunked, or splices `pods/exec|attach|portforward` upgrades byte for byte.
// The API handlers that pick the pod, container and node are in api_subresources.cc; the agent
// side is core/agent/server. `Fetch` is the buffered GET of the metrics scraper
// (metrics_scraper.h). Tests: tests/core/apiserver/node_proxy_test.cc.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/apiserver/http_exchange.h"
#include "core/common/status.h"
#include "nlohmann/json.hpp"

namespace capstan::apiserver {

// The annotation an agent listening on one specific address publishes on its Node.
inline constexpr char kAgentEndpointAnnotation[] = "node.capstan.io/agent-endpoint";

// Where `node`'s agent listens, as "host:port" ("[v6]:port" for IPv6): the annotation
// `node.capstan.io/agent-endpoint` when set, else the first InternalIP in status.addresses
// with status.daemonEndpoints.kubeletEndpoint.Port. Errors: kUnavailable naming what is missing.
Result<std::string> AgentEndpoint(const nlohmann::json& node);

// `raw_query` without the parameters named `name` (compared after decoding); the others keep
// their original encoding and order. E.g. ("container=c&follow=true", "container") ->
// "follow=true".
std::string QueryWithout(std::string_view raw_query, std::string_view name);

struct NodeProxyOptions {
  // The kubelet-client certificate and key (PEM). Empty: no client certificate is presented,
  // so agents answer 401.
  std::string client_cert_pem;
  std::string client_key_pem;
  // Resolve + connect + TLS handshake + the agent's response head.
  std::chrono::milliseconds connect_timeout{10'000};
  // Bodies of non-200 log replies and non-101 upgrade replies are buffered up to this size.
  size_t max_error_body_bytes = 1u << 20;
};

// Thread-safety: all methods may be called from any thread. The proxy never blocks the
// caller: connects, handshakes and I/O are asynchronous, log streams on the proxy's one io
// thread and upgraded connections on the HTTP connection's own strand. Every session ends,
// releasing both sockets and the exchange, as soon as either side closes or fails.
class NodeProxy {
 public:
  // Errors: kBadRequest when the certificate or key does not load.
  static Result<std::unique_ptr<NodeProxy>> Create(NodeProxyOptions options);
  ~NodeProxy();  // Shutdown(), then joins the io thread.
  NodeProxy(const NodeProxy&) = delete;
  NodeProxy& operator=(const NodeProxy&) = delete;

  // GETs https://`endpoint``target` from the agent and answers `exchange` with it: a 200 is
  // streamed through chunked as it arrives (ends when the agent's body ends or the agent
  // connection fails); any other status is relayed with its body. An agent that cannot be
  // reached gets 503 with a Status naming the endpoint.
  void ProxyStream(const std::shared_ptr<HttpExchange>& exchange, std::string endpoint,
                   const std::string& target);

  // Takes over `exchange`'s socket, sends the client's request line (with `target`) and
  // headers (minus Authorization, Host set to `endpoint`) to the agent and relays its reply:
  // a 101 verbatim followed by a protocol-agnostic splice in both directions until either side
  // closes; any other reply with its status and body, then closes. An unreachable agent gets
  // a 503 Status.
  void ProxyUpgrade(const std::shared_ptr<HttpExchange>& exchange, std::string endpoint,
                    const std::string& target);

  // A buffered GET of https://`endpoint``target` from the agent, for periodic scrapes (the
  // metrics API, metrics_scraper.h). `done` gets the reply's status and body, or kUnavailable
  // when the agent cannot be reached, `timeout` passes (connect to end of body) or the body
  // exceeds `max_body_bytes`. `done` runs at most once, on the proxy's io thread (so it must
  // not block): with kUnavailable after Shutdown(), never once the proxy is destroyed.
  struct FetchReply {
    int status = 0;
    std::string body;
  };
  using FetchCallback = std::function<void(Result<FetchReply>)>;
  void Fetch(std::string endpoint, const std::string& target, std::chrono::milliseconds timeout,
             size_t max_body_bytes, FetchCallback done);

  // Ends every open session (both sockets closed). Idempotent; later calls of ProxyStream /
  // ProxyUpgrade answer 503.
  void Shutdown();

  // Sessions still holding sockets (tests check that everything is released).
  size_t active_sessions() const;

  struct Impl;

 private:
  explicit NodeProxy(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared only with pending take-over callbacks (weakly)
};

}  // namespace capstan::apiserver
