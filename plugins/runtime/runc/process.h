// Runtime plugin `runc`: running short-lived helper commands (runc start/kill/delete/exec) from
// inside a multithreaded host with posix_spawn — captured output, deadlines, cancellation.
// The long-lived per-container shim is different; see shim.h. Used by runc_runtime.cc.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_PROCESS_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "capstan/sdk/status.h"

namespace capstan::plugins::runc_runtime {

struct CommandResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;     // at most `max_output` bytes of stdout
  std::string err;     // at most `max_output` bytes of stderr
};

struct CommandOptions {
  // Absolute CLOCK_MONOTONIC deadline in ns; 0 means none. On expiry the child is SIGKILLed and
  // RunCommand returns DEADLINE_EXCEEDED.
  int64_t deadline_mono_ns = 0;
  // Polled every few milliseconds; true kills the child (DEADLINE_EXCEEDED).
  std::function<bool()> cancelled;
  size_t max_output = 16 << 20;
  // When >= 0, these host-owned descriptors become the child's stdio instead of pipes (then
  // nothing is captured). -1 for stdin means /dev/null.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  bool attach = false;  // use the three fds above
  // Called once after the child was killed on deadline/cancel (e.g. to kill what it started).
  std::function<void()> on_kill;
};

// Runs `argv` (argv[0] an absolute path) to completion. OK with the exit status in `*result`
// whatever it is; ERROR when the spawn fails; DEADLINE_EXCEEDED on deadline or cancellation.
// Thread-safe; descriptors it creates are close-on-exec.
sdk::Status RunCommand(const std::vector<std::string>& argv, const CommandOptions& options,
                       CommandResult* result);

// The pid runc wrote to `path`, or -1 when the file is missing or holds no pid.
// Async-signal-safe (open, read, close): callable in a forked child of a threaded process.
pid_t ReadPidFile(const char* path);

// Monotonic and wall clocks in nanoseconds.
int64_t MonotonicNs();
int64_t WallNs();

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_PROCESS_H_
