// The byte pipes a SPDY/3.1 session runs over, and the upgrades that create them: plain
// SPDY (`Upgrade: SPDY/3.1` answered with a 101 on the TLS connection) and kubectl 1.31+'s
// tunnel (a WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io`, SPDY bytes in binary
// messages). Used by spdy_session.h's owners (port_forward.cc, spdy_exec.cc); tests in
// tests/core/agent/server/port_forward_test.cc.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/apiserver/http_exchange.h"
#include "core/common/status.h"

namespace capstan::agent::server {

// A reliable byte stream. Thread-safety: everything (calls and completions) on the
// executor of the taken socket (a strand); one read and one write outstanding at a time.
class SpdyTransport {
 public:
  virtual ~SpdyTransport() = default;
  // `done(ok, bytes)`: ok false when the peer went away or the stream failed.
  virtual void Read(std::function<void(bool ok, std::string bytes)> done) = 0;
  // `done(ok)` once all of `bytes` was written.
  virtual void Write(std::string bytes, std::function<void(bool ok)> done) = 0;
  // Closes the connection at once; pending operations complete with ok false.
  virtual void Close() = 0;
  // The strand everything runs on.
  virtual boost::asio::any_io_executor executor() = 0;
};

// Whether the request asks for a plain SPDY/3.1 upgrade (`Upgrade: SPDY/3.1`).
bool IsSpdyUpgrade(const apiserver::HttpRequest& request);

// The first of `supported` that the client offered in `X-Stream-Protocol-Version`, or "".
std::string ChooseStreamProtocol(const apiserver::HttpRequest& request,
                                 const std::vector<std::string>& supported);

// Called with the transport once the upgrade is answered (null if the client went away) and
// the bytes already received after the request head.
using SpdyTransportReady =
    std::function<void(std::unique_ptr<SpdyTransport> transport, std::string initial)>;

// Takes the socket over and answers 101 with `Upgrade: SPDY/3.1` and
// `X-Stream-Protocol-Version: protocol`. Errors: kInternal when the response was already
// started (nothing was taken then).
Status AcceptSpdyUpgrade(const std::shared_ptr<apiserver::HttpExchange>& exchange,
                         std::string protocol, SpdyTransportReady ready);

// Takes the socket over and completes a WebSocket handshake with `subprotocol`; the transport
// carries bytes in binary messages. Errors: kBadRequest when the request is not a WebSocket
// upgrade; kInternal when the response was already started.
Status AcceptWebSocketTunnel(const std::shared_ptr<apiserver::HttpExchange>& exchange,
                             std::string subprotocol, SpdyTransportReady ready);

}  // namespace capstan::agent::server
