// Attach output for both transports (exec_session.cc over WebSocket, spdy_exec.cc over
// SPDY): the runtime's attach (abi/runtime.h `on_attach`) passes stdin only, so an attach
// session follows the container's current CRI log file from where it ended when the session
// began. Tests: tests/core/agent/server/attach_log_test.cc.
#pragma once

#include <functional>
#include <string>

#include "core/common/status.h"

namespace capstan::agent::server {

// The newest log attempt of one container, read from a fixed starting offset on. Not
// thread-safe: use it on one strand.
class AttachLog {
 public:
  AttachLog() = default;
  AttachLog(const AttachLog&) = delete;
  AttachLog& operator=(const AttachLog&) = delete;
  ~AttachLog();

  // Opens the newest `<attempt>.log` under `log_dir` at its current end. Errors: kBadRequest
  // when the container has no log yet, kNotFound when the file vanished.
  Status Open(const std::string& log_dir);
  int attempt() const { return attempt_; }

  // Reads what was appended since the last call and hands every complete record to
  // `emit(is_stderr, text)` (a full line ends in "\n"; a partial record does not). Returns
  // whether the file grew.
  bool Poll(const std::function<void(bool is_stderr, std::string text)>& emit);

 private:
  int fd_ = -1;
  int attempt_ = -1;
  off_t offset_ = 0;
  std::string carry_;  // an incomplete last line
};

}  // namespace capstan::agent::server
