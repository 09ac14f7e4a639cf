// Runs one child process with posix_spawn: argv and environment given, stdin fed from a buffer,
// stdout and stderr collected, killed with SIGKILL at a deadline or on cancellation. Used by
// cni_exec.cc to run CNI plugin binaries; tested through cni_exec_test.cc.
#ifndef CAPSTAN_PLUGINS_CNI_EXEC_CHILD_PROCESS_H_
#define CAPSTAN_PLUGINS_CNI_EXEC_CHILD_PROCESS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace capstan::cni {

struct SpawnRequest {
  std::string path;               // absolute path of the executable
  std::vector<std::string> argv;  // argv[0] included; empty: {path}
  std::vector<std::string> env;   // "K=V" entries: the child's whole environment
  std::string stdin_data;
  int64_t deadline_mono_ns = 0;     // CLOCK_MONOTONIC; 0: none
  std::function<bool()> cancelled;  // polled while waiting; may be empty
  size_t max_output = 4 << 20;      // stdout/stderr each; the rest is dropped
};

struct SpawnResult {
  bool started = false;    // false: posix_spawn failed; `error` says why
  bool timed_out = false;  // killed at the deadline or on cancellation
  int exit_code = -1;      // valid when the child exited normally
  int term_signal = 0;     // non-zero when a signal ended the child
  std::string out;
  std::string err;
  std::string error;  // spawn or I/O failure text
};

// Runs the child to completion (or kills it at the deadline) and always reaps it. Thread-safe:
// every call owns its descriptors; they are created close-on-exec so concurrent spawns do not
// leak them into each other's children. Never raises SIGPIPE in the caller.
SpawnResult Spawn(const SpawnRequest& request);

}  // namespace capstan::cni

#endif  // CAPSTAN_PLUGINS_CNI_EXEC_CHILD_PROCESS_H_
