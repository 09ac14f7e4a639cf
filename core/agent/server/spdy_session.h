// `SpdySession`: the server side of one SPDY/3.1 connection over a `SpdyTransport`
// (spdy_transport.h) — frames in and out (spdy_frame.h), PING echo, GOAWAY, stream resets,
// and a write queue with completion callbacks for back-pressure. What the streams mean is
// its owner's: port_forward.cc and spdy_exec.cc. Tests: tests/core/agent/server/.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "core/agent/server/spdy_frame.h"
#include "core/agent/server/spdy_transport.h"

namespace capstan::agent::server {

// Thread-safety: every call and every callback on the transport's executor (the taken
// socket's strand). Lifetime: the session keeps itself alive while the transport is open;
// it drops its callbacks after `on_end`, breaking cycles through them.
class SpdySession : public std::enable_shared_from_this<SpdySession> {
 public:
  struct Callbacks {
    // A client stream (SYN_STREAM). The owner must `Reply` (or `Reset`) it.
    std::function<void(uint32_t id, const SpdyHeaders& headers, bool fin)> on_stream;
    // Data on a client stream; `fin` is the client's half-close (the data may be empty).
    std::function<void(uint32_t id, std::string data, bool fin)> on_data;
    // RST_STREAM from the client: the stream is gone both ways.
    std::function<void(uint32_t id)> on_reset;
    // Once: the client went away, sent GOAWAY, or broke the protocol. No calls follow.
    std::function<void()> on_end;
  };

  // `initial`: bytes already received after the upgrade.
  SpdySession(std::unique_ptr<SpdyTransport> transport, std::string initial);
  ~SpdySession();
  SpdySession(const SpdySession&) = delete;
  SpdySession& operator=(const SpdySession&) = delete;

  void Start(Callbacks callbacks);

  // SYN_REPLY with no headers.
  void Reply(uint32_t id);
  // A DATA frame; `written` (optional) runs once it was handed to the transport, or at once
  // when the session ended (check `ended()`), so relays read their next chunk only then.
  void Data(uint32_t id, std::string data, bool fin, std::function<void()> written = nullptr);
  void Reset(uint32_t id, uint32_t status);
  // GOAWAY, then the connection closes once everything queued is written.
  void GoAway();
  // Closes at once; `on_end` runs if it has not.
  void Close();

  bool ended() const { return ended_; }

 private:
  void ReadMore();
  void OnBytes(const std::string& bytes);
  void OnFrame(SpdyFrame frame);
  void Send(const SpdyFrame& frame, std::function<void()> written);
  void Flush();
  void End();

  struct Pending {
    std::string bytes;
    std::function<void()> written;
  };

  std::unique_ptr<SpdyTransport> transport_;
  std::string initial_;
  Callbacks callbacks_;
  SpdyFrameEncoder encoder_;
  SpdyFrameDecoder decoder_;
  std::deque<Pending> queue_;
  uint32_t last_client_stream_ = 0;
  bool writing_ = false;
  bool closing_ = false;  // GOAWAY sent: close after the queue drains
  bool ended_ = false;
};

}  // namespace capstan::agent::server
