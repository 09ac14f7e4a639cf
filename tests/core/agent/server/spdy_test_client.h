// A blocking SPDY/3.1 client for the agent server's tests (port_forward_test.cc,
// spdy_exec_test.cc): TLS with a client certificate, then either a plain `Upgrade: SPDY/3.1`
// or a WebSocket tunnel (`SPDY/3.1+portforward.k8s.io`), then frames through the production
// codec (core/agent/server/spdy_frame.h). Every read gives up after a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/agent/server/spdy_frame.h"
#include "core/pki/certificate.h"

namespace capstan::agent::server::testing {

enum class SpdyMode { kPlain, kWebSocket };

// What a stream received from the server, collected by `SpdyTestClient::ReadUntil`.
struct StreamResult {
  bool replied = false;  // SYN_REPLY seen
  std::string data;
  bool fin = false;
  bool reset = false;
};

class SpdyTestClient {
 public:
  // Connects to 127.0.0.1:`port` presenting `cert` and upgrades `target` (POST for plain
  // SPDY, offering `protocol` in X-Stream-Protocol-Version; GET for the tunnel). `status()`
  // is the HTTP status of the answer (101 when upgraded).
  SpdyTestClient(uint16_t port, const pki::CertKeyPair& cert, SpdyMode mode,
                 const std::string& target, const std::string& protocol);
  ~SpdyTestClient();

  int status() const { return status_; }
  const std::string& chosen_protocol() const { return chosen_; }

  void Send(const SpdyFrame& frame);
  void SendRaw(const std::string& bytes);
  void OpenStream(uint32_t id, const SpdyHeaders& headers, bool fin);

  // The next frame, or nullopt when the connection ended or the deadline passed.
  std::optional<SpdyFrame> Read(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Reads frames into `streams` (by id) until `done()` or the connection ends; false when the
  // deadline passed first. GOAWAY sets `goaway()`; PINGs are kept in `last_ping()`.
  bool ReadUntil(std::map<uint32_t, StreamResult>* streams, const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(15));
  bool goaway() const { return goaway_; }
  std::optional<uint32_t> last_ping() const { return last_ping_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int status_ = 0;
  std::string chosen_;
  bool goaway_ = false;
  std::optional<uint32_t> last_ping_;
};

}  // namespace capstan::agent::server::testing
