// Exec and attach over WebSocket (`v5.channel.k8s.io`, also `v4.channel.k8s.io`) on a socket
// taken from the HTTP server (core/apiserver/http_exchange.h TakeOverSocket): channel 0 stdin,
// 1 stdout, 2 stderr, 3 the final metav1.Status, 4 terminal resize, 255 stream close (v5).
// Exec runs the runtime's `on_exec` (ExecFunction) on a thread of its own with pipe
// descriptors (the runtime makes the terminal); attach streams the container's log
// (attach_log.h) and, for a container with `stdin: true`, passes stdin and terminal sizes to
// the runtime's `on_attach` (ExecSessionParams::attach_stdin). Used by agent_server.cc; tests
// in tests/core/agent/server/.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/agent/server/container_target.h"
#include "core/apiserver/http_exchange.h"
#include "core/common/status.h"
#include "core/plugin/call.h"

namespace capstan::agent::server {

// One attached command, as the runtime's `on_exec` takes it. Descriptors are the server's,
// valid for the call; -1 when a stream is not attached.
struct ExecCall {
  std::string container_id;  // the runtime's ID, without the "<runtime>://" scheme
  std::vector<std::string> cmd;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  bool tty = false;                             // stdout carries both streams (a terminal)
  int resize_fd = -1;                           // tty: terminal sizes as lines "<columns> <rows>\n"
  const plugin::CancelToken* cancel = nullptr;  // set when the client went away
};

// Runs `call` to completion and returns its exit code. Blocks; the server calls it on a
// thread of its own. Errors: the runtime's (kNotFound, kUnimplemented, ...).
using ExecFunction = std::function<Result<int32_t>(const ExecCall& call)>;

// The exec commands in flight, so the server can cancel them and wait on Stop.
// Thread-safe.
class ExecRegistry {
 public:
  // False once stopping: the command must not start.
  bool Add(const std::shared_ptr<plugin::CancelToken>& token);
  void Remove(const std::shared_ptr<plugin::CancelToken>& token);
  // Cancels every command and refuses new ones; waits up to `timeout` for them to return.
  void CancelAllAndWait(std::chrono::milliseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::shared_ptr<plugin::CancelToken>> active_;
  bool stopping_ = false;
};

struct ExecSessionParams {
  ContainerTarget target;
  bool attach = false;
  ExecFunction exec;
  // attach with stdin: the runtime's attach (an ExecCall without `cmd`, stdout/stderr -1;
  // the value is meaningless). Null: attach refuses stdin. kUnimplemented from it (a runtime
  // without attach): the session goes on with the output only.
  ExecFunction attach_stdin;
  PodLookup get_pod;  // attach: to see the container end
  std::shared_ptr<ExecRegistry> registry;
  std::chrono::milliseconds first_frame_delay{20};
  std::chrono::milliseconds poll{200};  // attach: log poll period
};

// Checks the request (a WebSocket upgrade offering v5/v4.channel.k8s.io; for exec at least one
// `command` and a running container), then takes the socket over and runs the session on the
// connection's strand. Errors, for the caller to answer as HTTP (nothing was sent then):
// kBadRequest (not a WebSocket upgrade, no supported subprotocol, no command, no stream
// requested, container not running, stdin with attach but no `attach_stdin`),
// kUnimplemented (no exec function). Attach with stdin to a container without `stdin: true`
// drops the input, as containerd does.
Status StartExecSession(const std::shared_ptr<apiserver::HttpExchange>& exchange,
                        ExecSessionParams params);

// The channel-3 Status for an exit code: Success for 0, else Failure/NonZeroExitCode with the
// ExitCode cause (kubectl exits with that code).
std::string ExitStatusJson(int32_t exit_code);

}  // namespace capstan::agent::server
