// Runtime plugin `runc`: the shim's side of attach — a container created with stdin keeps it
// open in the shim (the write end of a pipe, or the master of its terminal), and the shim serves
// `attach.sock` in the bundle: each connection's frames (attach_frame.h) become stdin bytes and
// terminal sizes. Runs inside the shim (shim_main.h): system calls only, no allocation, all state
// in an `AttachServer` allocated when the shim starts (shim_exe.cc). Used by
// shim.cc; exercised through runc_runtime_test.cc (real runc).
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_SHIM_ATTACH_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_SHIM_ATTACH_H_

#include <poll.h>

#include <cstddef>
#include <cstdint>

#include "attach_frame.h"

namespace capstan::plugins::runc_runtime {

inline constexpr int kAttachMaxSessions = 8;
// Poll slots AttachPollFds fills: the listener, stdin (for POLLOUT), one per session.
inline constexpr int kAttachPollSlots = 2 + kAttachMaxSessions;

struct AttachSession {
  int fd = -1;  // -1: a free slot
  size_t have = 0;
  size_t off = 0;          // the next frame starts here
  size_t pending_off = 0;  // stdin bytes of the current frame not yet written
  size_t pending_len = 0;
  uint8_t buf[kAttachHeaderSize + kAttachMaxPayload];
};

// Owns its descriptors. Not thread-safe (the shim has one thread).
struct AttachServer {
  int listen_fd = -1;  // non-blocking listening unix socket
  int stdin_fd = -1;   // non-blocking: the pipe's write end, or a dup of the terminal master
  bool tty = false;    // stdin_fd is a terminal master: resize frames apply TIOCSWINSZ to it
  // Without a terminal: the container's stdin is closed when the first session ends.
  bool stdin_once = false;
  bool stdin_closed = false;
  AttachSession sessions[kAttachMaxSessions];
};

// Fills `fds[0, kAttachPollSlots)` (unused slots get fd -1).
void AttachPollFds(const AttachServer& s, pollfd* fds);
// Accepts, reads and writes what `fds` (as filled by AttachPollFds and polled) reports ready.
void AttachHandle(AttachServer* s, const pollfd* fds);
// Closes stdin and every session (the container is gone, or the shim exits). Once stdin is
// closed, new connections are accepted and closed at once: the client sees its end.
void AttachCloseStdin(AttachServer* s);

// After `runc create --console-socket` exited: takes runc's connection from `listen_fd` and the
// terminal master it sent (SCM_RIGHTS). Returns the master (close-on-exec), or -1.
int ReceiveTerminalMaster(int listen_fd);

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_SHIM_ATTACH_H_
