// Runtime plugin `runc`: the body of the per-container shim process, `capstan-shim`
// (shim_exe.cc), which StartShim (shim.h) executes. It runs `runc create`, adopts the
// container's init as a subreaper, writes its stdout/stderr to the CRI log file and its exit
// status to the bundle's `exit` file, and serves attach (shim_attach.h). The protocol with the
// plugin is in shim.cc's header.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_SHIM_MAIN_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_SHIM_MAIN_H_

#include <cstdint>

namespace capstan::plugins::runc_runtime {

struct AttachServer;

// What the shim writes on `ready_w` once `runc create` has exited.
struct ShimReport {
  int32_t create_status;  // runc create's exit code, or -errno when it could not run
  int32_t init_pid;
  int32_t shim_pid;
};

// The descriptors the plugin hands the shim; -1 where unused.
struct ShimFds {
  int out_r = -1, out_w = -1;  // runc's (and without a terminal the container's) stdout
  int err_r = -1, err_w = -1;  // the same for stderr
  int ready_w = -1;            // the ShimReport goes here
  int devnull = -1;            // stdin when the container has none
  int log_fd = -1;             // the CRI log file, opened for appending
  int stdin_r = -1;            // the container's stdin (a pipe), without a terminal
  int console_fd = -1;         // listening socket for runc's terminal (`--console-socket`)
  int attach_listen = -1;      // listening attach socket in the bundle
  int attach_stdin = -1;       // stdin's write end (non-blocking), without a terminal
};

// Everything the shim needs; strings and arrays outlive RunShim.
struct ShimPlan {
  const char* const* runc_argv;
  char* const* envp;
  const char* log_path;
  const char* pid_file;
  const char* exit_tmp;
  const char* exit_file;
  const char* attach_path;   // unlinked when the shim exits; null without stdin
  const char* console_path;  // unlinked once the master arrived; null without tty
  ShimFds fds;
  AttachServer* attach;  // null without stdin; holds attach_listen and attach_stdin
};

// Runs the shim until the container has exited and its output is drained, then exits the
// process. Uses only system calls and no allocation.
[[noreturn]] void RunShim(const ShimPlan& p);

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_SHIM_MAIN_H_
