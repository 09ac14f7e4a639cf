// Runtime plugin `runc`: starting the per-container shim — the small `capstan-shim` executable
// installed beside the plugin (shim_exe.cc), a process that outlives the agent, runs `runc
// create`, adopts the container's init as a subreaper, writes its stdout/stderr to the CRI log
// file and its exit status to a file in the bundle, and keeps stdin open for attach
// (shim_attach.h). How it is started without copying the host is in shim.cc's header. Used by
// runc_runtime.cc.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_SHIM_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_SHIM_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "capstan/sdk/status.h"

namespace capstan::plugins::runc_runtime {

struct ShimRequest {
  std::string shim_path;     // the `capstan-shim` executable
  std::string runc_path;     // e.g. /usr/sbin/runc
  std::string runc_root;     // runc --root
  std::string bundle_dir;    // holds config.json; the shim writes init.pid, exit, runc.log here
  std::string container_id;  // the runc id
  std::string log_path;      // absolute CRI log file; parent directories are created
  // CRI "stdin": the shim keeps the container's stdin open (a pipe, or with `tty` the
  // terminal's master) and serves `attach.sock` in the bundle (shim_attach.h).
  bool stdin_open = false;
  bool stdin_once = false;  // CRI "stdinOnce": stdin closes when the first attach ends (no tty)
  // CRI "tty": config.json must set process.terminal; the shim passes `--console-socket`, holds
  // the master and logs the terminal's output as stdout.
  bool tty = false;
  // With `tty`: where the shim listens for runc's terminal; short enough for sun_path (runc
  // dials it by name), removed once the terminal arrived.
  std::string console_socket;
};

struct ShimInfo {
  pid_t shim_pid = -1;
  pid_t init_pid = -1;
};

// The shim executable's file name, installed beside the plugin's .so.
inline constexpr char kShimExecutable[] = "capstan-shim";

// Files in the bundle directory.
inline constexpr char kExitFile[] = "exit";  // "<exit code> <finished ns since epoch>\n"
inline constexpr char kInitPidFile[] = "init.pid";
inline constexpr char kRuncLogFile[] = "runc.log";

// Starts the shim and waits (until `deadline_mono_ns`, 0 = 30 s) for `runc create` to finish.
// OK when the container is CREATED (init waiting for `runc start`); ERROR with runc's own error
// text otherwise (the shim has then exited). Thread-safe: the children that share the host's
// memory until the shim's execve make system calls only, on memory prepared beforehand.
sdk::Status StartShim(const ShimRequest& request, int64_t deadline_mono_ns, ShimInfo* info);

// Asks a running shim to reopen its log file (after the host rotated it). OK when signalled.
sdk::Status ReopenShimLog(pid_t shim_pid);

// Reads the bundle's exit file. False while the container has not exited.
bool ReadExitFile(const std::string& bundle_dir, int32_t* exit_code, int64_t* finished_ns);

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_SHIM_H_
