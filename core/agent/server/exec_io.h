// The command side of an exec session, shared by the WebSocket (exec_session.cc) and SPDY
// (spdy_exec.cc) transports: pipes for the command (`OpenExecFds`), the blocking runtime call
// on a thread of its own (`LaunchExec`), queued writes to its stdin (`StdinWriter`) and
// terminal sizes passed on to the runtime, which owns the terminal (`ResizeTerminal`); the
// same for the stdin of an attach session (`StartAttachInput`). Tests:
// through agent_server_test.cc and spdy_exec_test.cc in tests/core/agent/server/.
#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/agent/server/container_target.h"
#include "core/agent/server/exec_session.h"
#include "core/apiserver/http_request.h"
#include "core/common/status.h"

namespace capstan::agent::server {

// What an exec or attach request asks for.
struct ExecRequest {
  std::vector<std::string> cmd;  // the repeated `command` query parameter
  bool in = false, out = false, err = false, tty = false;
};

// Reads `command`, `stdin`, `stdout`, `stderr` and `tty` (a terminal carries stderr on
// stdout). Errors: kBadRequest when no stream is requested or `target` is not running.
Result<ExecRequest> ParseExecRequest(const apiserver::HttpRequest& request,
                                     const ContainerTarget& target);

class StdinWriter;

// Descriptors for one command. The caller owns every descriptor here until it hands
// `child` to LaunchExec.
struct ExecFds {
  ExecCall call;  // stdin/stdout/stderr/resize descriptors and tty are set
  std::array<int, 4> child = {-1, -1, -1, -1};  // the runtime's ends (closed after the call)
  int resize_fd = -1;                    // tty only: the session's (non-blocking) end of sizes
  int stdin_fd = -1;                     // the session's end of stdin; -1 when not wanted
  std::array<int, 2> out_fd = {-1, -1};  // the session's ends of stdout and stderr
};

// Pipes for the wanted streams; with `tty` stdout carries stderr too and one more pipe carries
// terminal sizes. Every descriptor is close-on-exec. Errors: kInternal when a pipe cannot be
// made (nothing stays open then).
Result<ExecFds> OpenExecFds(bool in, bool out, bool err, bool tty);

// Registers `token`, then runs `exec(call)` on a detached thread, closes `child` and calls
// `done` there with the result (post it to your strand) before unregistering. Errors:
// kUnavailable when the registry is stopping (nothing ran; `child` is still the caller's).
Status LaunchExec(const ExecFunction& exec, ExecCall call, std::array<int, 4> child,
                  const std::shared_ptr<ExecRegistry>& registry,
                  const std::shared_ptr<plugin::CancelToken>& token,
                  std::function<void(Result<int32_t>)> done);

// The session's ends of a started command; the caller owns the descriptors.
struct StartedExec {
  std::shared_ptr<StdinWriter> stdin;    // null when stdin was not requested
  std::array<int, 2> out_fd = {-1, -1};  // stdout and stderr (a tty: stdout only)
  int resize_fd = -1;                    // tty only: for ResizeTerminal
};

// OpenExecFds, then LaunchExec of `params.exec` for `params.target` with `request.cmd`;
// `on_exit` is posted to `ex` with the result. Errors: OpenExecFds' and LaunchExec's
// (nothing stays open then).
Result<StartedExec> StartExecCommand(const ExecRequest& request, const ExecSessionParams& params,
                                     const std::shared_ptr<plugin::CancelToken>& token,
                                     const boost::asio::any_io_executor& ex,
                                     std::function<void(Result<int32_t>)> on_exit);

// Attach with stdin (the container's spec has `stdin: true`): a stdin pipe (with `tty` also a
// sizes pipe), then `params.attach_stdin` (the runtime's attach) on a thread of its own;
// `on_end` is posted to `ex` when it returned (its value is meaningless: attach has no exit
// code). The output is not part of it: the session follows the log. Errors: as
// StartExecCommand's.
Result<StartedExec> StartAttachInput(bool tty, const ExecSessionParams& params,
                                     const std::shared_ptr<plugin::CancelToken>& token,
                                     const boost::asio::any_io_executor& ex,
                                     std::function<void(Result<int32_t>)> on_end);

// Whether an attach session keeps showing output after its stdin ended. As with containerd:
// for a container with `stdinOnce` and no terminal the end of stdin closes the container's
// stdin and the session lasts until the container ends; otherwise the session ends with its
// stdin.
bool AttachOutputOutlivesStdin(const ContainerTarget& target, bool tty);

// Passes `{"Width":W,"Height":H}` on to the runtime as the line "W H\n" on `resize_fd` (the
// session's end from StartedExec); anything else is ignored, and so is a size the runtime has
// not taken yet when the pipe is full (a later one follows).
void ResizeTerminal(int resize_fd, std::string_view size_json);

// Writes client bytes to the command's stdin in order. Thread-safety: on the session's
// strand only. `End()` closes stdin once the queue drains (EOF for the command).
class StdinWriter : public std::enable_shared_from_this<StdinWriter> {
 public:
  // Takes ownership of `fd`.
  StdinWriter(const boost::asio::any_io_executor& ex, int fd) : fd_(ex, fd) {}
  void Push(std::string data);
  void End();
  // Closes at once, dropping what is queued.
  void Close();

 private:
  void Pump();

  boost::asio::posix::stream_descriptor fd_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool ending_ = false;
};

}  // namespace capstan::agent::server
