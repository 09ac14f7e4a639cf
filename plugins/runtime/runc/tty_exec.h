// Runtime plugin `runc`: exec with a terminal. `ConsoleSocket` is the unix socket that
// `runc exec --detach --tty --console-socket` hands the container's pty master to (SCM_RIGHTS);
// `TtyRelay` copies the host's exec streams to and from that master and applies the terminal
// sizes the host writes to its resize pipe (abi/runtime.h, minor 2); `RunDetachedExec` waits
// for the detached process through a subreaper helper. Used by runc_exec_list.cc; tests in
// tty_exec_test.cc and runc_runtime_test.cc.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_TTY_EXEC_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_TTY_EXEC_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "capstan/sdk/status.h"

namespace capstan::plugins::runc_runtime {

// A listening unix socket in a private (0700) directory of its own. Not thread-safe.
class ConsoleSocket {
 public:
  // Creates the directory under `parent` (short: sun_path holds 107 bytes) and listens.
  // ERROR when the directory or the socket cannot be made (nothing is left behind then).
  static sdk::Status Open(const std::string& parent, std::unique_ptr<ConsoleSocket>* out);
  ConsoleSocket(const ConsoleSocket&) = delete;
  ConsoleSocket& operator=(const ConsoleSocket&) = delete;
  // Closes the socket and removes it and its directory.
  ~ConsoleSocket();

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }  // non-blocking, close-on-exec; owned

 private:
  ConsoleSocket() = default;
  std::string dir_, path_;
  int fd_ = -1;
};

// Parses the resize pipe's lines "<columns> <rows>\n" out of `carry` (which keeps a partial
// last line); true with the last complete size when there was one. Malformed lines are skipped.
bool TakeLastTerminalSize(std::string* carry, uint16_t* columns, uint16_t* rows);

// Moves bytes between the host's descriptors and the terminal that arrives on `listen_fd`:
// stdin -> terminal, terminal -> stdout, sizes from `resize_fd` -> TIOCSWINSZ (the last size
// seen before the terminal arrived is applied on arrival). Any descriptor may be -1. Borrows the
// host's descriptors and `listen_fd`; owns the terminal. Single-threaded: call Pump from the
// loop that waits for runc, then Drain once runc has exited.
class TtyRelay {
 public:
  TtyRelay(int listen_fd, int stdin_fd, int stdout_fd, int resize_fd)
      : listen_fd_(listen_fd), stdin_fd_(stdin_fd), stdout_fd_(stdout_fd), resize_fd_(resize_fd) {}
  TtyRelay(const TtyRelay&) = delete;
  TtyRelay& operator=(const TtyRelay&) = delete;
  ~TtyRelay();

  // Waits up to `timeout_ms` for any descriptor to be ready, then moves what is ready. Writes
  // to stdout block (back-pressure from the client); writes to the terminal never do.
  void Pump(int timeout_ms);
  // After the command ended: copies what the terminal still holds until its other side is
  // closed, `quiet_ms` pass without output, or `max_ms` pass in all (a background process
  // may keep the terminal open).
  void Drain(int quiet_ms, int max_ms);
  bool has_terminal() const { return master_ >= 0; }

 private:
  void Accept();
  void ReceiveMaster();
  void ReadMaster();
  void WriteMaster();
  void ReadStdin();
  void ReadSizes();
  void ApplySize();

  int listen_fd_, stdin_fd_, stdout_fd_, resize_fd_;
  int conn_ = -1;    // runc's connection, until it sent the master
  int master_ = -1;  // the terminal, non-blocking
  bool master_closed_ = false;
  std::string to_master_;  // stdin bytes the terminal has not taken yet
  std::string size_carry_;
  bool have_size_ = false;
  uint16_t columns_ = 0, rows_ = 0;
};

// runc hands a console socket over only when it detaches, so the process it starts is not its
// child. This runs `argv` (argv[0] absolute; a `runc exec --detach ... --pid-file <pid_file>`)
// under a forked helper that is a child subreaper: when runc exits the process becomes the
// helper's child, and the helper exits with its status. `*exit_code` is that status (128+N
// when killed by signal N), or runc's exit code when runc failed (its message went to
// `out_fd`, which is also runc's stdout). While waiting, `pump(ms)` is called instead of
// sleeping; `stop()` true kills the helper and the process (see KillExecProcess in
// runc_exec_list.cc: `on_kill`) and gives DEADLINE_EXCEEDED. ERROR when fork fails.
// Thread-safe: everything it allocates is prepared before fork.
sdk::Status RunDetachedExec(const std::vector<std::string>& argv, const std::string& pid_file,
                            int out_fd, const std::function<void(int timeout_ms)>& pump,
                            const std::function<bool()>& stop, const std::function<void()>& on_kill,
                            int* exit_code);

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_TTY_EXEC_H_
