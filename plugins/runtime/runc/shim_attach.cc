// Runtime plugin `runc`: the shim's attach server (shim_attach.h). Async-signal-safe only.
#include "shim_attach.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace capstan::plugins::runc_runtime {
namespace {

void CloseSession(AttachSession* a) {
  if (a->fd >= 0) close(a->fd);
  a->fd = -1;
  a->have = a->off = a->pending_off = a->pending_len = 0;
}

// A session ended (its client closed or broke the protocol).
void EndSession(AttachServer* s, AttachSession* a) {
  CloseSession(a);
  if (s->stdin_once && !s->tty) AttachCloseStdin(s);
}

void Accept(AttachServer* s) {
  int fd = accept4(s->listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return;
  if (s->stdin_closed) {
    close(fd);
    return;
  }
  for (AttachSession& a : s->sessions) {
    if (a.fd < 0) {
      a.fd = fd;
      a.have = a.off = a.pending_off = a.pending_len = 0;
      return;
    }
  }
  close(fd);  // too many sessions
}

// Writes pending stdin bytes and applies the frames that follow, until the buffer holds no
// whole frame or stdin is full. False when the session must end.
bool Process(AttachServer* s, AttachSession* a) {
  while (true) {
    if (a->pending_len > 0) {
      ssize_t w = write(s->stdin_fd, a->buf + a->pending_off, a->pending_len);
      if (w < 0 && (errno == EAGAIN || errno == EINTR)) return true;
      if (w <= 0) {  // EPIPE / EIO: the container closed its stdin or its terminal
        AttachCloseStdin(s);
        return false;
      }
      a->pending_off += static_cast<size_t>(w);
      a->pending_len -= static_cast<size_t>(w);
      continue;
    }
    AttachFrame f;
    ptrdiff_t n = ParseAttachFrame(a->buf + a->off, a->have - a->off, &f);
    if (n < 0) return false;
    if (n == 0) {
      memmove(a->buf, a->buf + a->off, a->have - a->off);
      a->have -= a->off;
      a->off = 0;
      return true;
    }
    if (f.type == kAttachResize && s->tty) {
      struct winsize ws {};
      ws.ws_col = f.columns;
      ws.ws_row = f.rows;
      ioctl(s->stdin_fd, TIOCSWINSZ, &ws);
    } else if (f.type == kAttachStdin) {
      a->pending_off = a->off + kAttachHeaderSize;
      a->pending_len = f.len;
    }
    a->off += static_cast<size_t>(n);
  }
}

void Read(AttachServer* s, AttachSession* a) {
  ssize_t n = read(a->fd, a->buf + a->have, sizeof(a->buf) - a->have);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return EndSession(s, a);
  a->have += static_cast<size_t>(n);
  if (!Process(s, a)) EndSession(s, a);
}

bool Ready(const pollfd& p, short events) { return p.fd >= 0 && (p.revents & events) != 0; }

}  // namespace

void AttachPollFds(const AttachServer& s, pollfd* fds) {
  for (int i = 0; i < kAttachPollSlots; ++i) fds[i] = {-1, 0, 0};
  fds[0] = {s.listen_fd, POLLIN, 0};
  bool waiting = false;
  for (int i = 0; i < kAttachMaxSessions; ++i) {
    const AttachSession& a = s.sessions[i];
    if (a.fd < 0) continue;
    // A session whose bytes stdin has not taken yet is not read further: back-pressure.
    if (a.pending_len > 0) {
      waiting = true;
    } else {
      fds[2 + i] = {a.fd, POLLIN, 0};
    }
  }
  if (waiting && s.stdin_fd >= 0) fds[1] = {s.stdin_fd, POLLOUT, 0};
}

void AttachHandle(AttachServer* s, const pollfd* fds) {
  if (Ready(fds[0], POLLIN | POLLERR | POLLHUP)) Accept(s);
  if (Ready(fds[1], POLLOUT | POLLERR | POLLHUP)) {
    for (AttachSession& a : s->sessions) {
      if (a.fd >= 0 && a.pending_len > 0 && !Process(s, &a)) EndSession(s, &a);
    }
  }
  for (int i = 0; i < kAttachMaxSessions; ++i) {
    AttachSession& a = s->sessions[i];
    if (a.fd >= 0 && fds[2 + i].fd == a.fd && Ready(fds[2 + i], POLLIN | POLLERR | POLLHUP)) {
      Read(s, &a);
    }
  }
}

void AttachCloseStdin(AttachServer* s) {
  if (s->stdin_closed) return;
  s->stdin_closed = true;
  if (s->stdin_fd >= 0) close(s->stdin_fd);
  s->stdin_fd = -1;
  for (AttachSession& a : s->sessions) CloseSession(&a);
}

int ReceiveTerminalMaster(int listen_fd) {
  pollfd p{listen_fd, POLLIN, 0};
  if (poll(&p, 1, 5000) <= 0) return -1;
  int conn = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return -1;
  // runc sends the terminal's name as the payload and the master as SCM_RIGHTS.
  char name[256];
  struct iovec iov {
    name, sizeof(name)
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  int master = -1;
  ssize_t n;
  while ((n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n >= 0) {
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
          c->cmsg_len >= CMSG_LEN(sizeof(int)) && master < 0) {
        memcpy(&master, CMSG_DATA(c), sizeof(int));
      }
    }
  }
  close(conn);
  return master;
}

}  // namespace capstan::plugins::runc_runtime
