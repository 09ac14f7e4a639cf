// Runtime plugin `runc`: the shim's body (see shim_main.h; the protocol is in shim.cc's header).
// Only system calls run here and nothing allocates: the same code ran in a forked copy of the
// plugin's host before the shim became its own executable, and the log path must not depend on
// a heap.
#include "shim_main.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "process.h"
#include "shim_attach.h"

namespace capstan::plugins::runc_runtime {
namespace {

constexpr size_t kLineMax = 8192;
// The stack of `runc create`'s child, which shares the shim's memory until its execve: it only
// calls sigaction, dup2 and execve.
constexpr size_t kChildStackSize = 16 * 1024;
constexpr int64_t kDrainNs = 2'000'000'000;

volatile sig_atomic_t g_reopen_log = 0;
void OnReopenSignal(int /*sig*/) { g_reopen_log = 1; }

struct Stream {
  int fd;
  const char* name;
  size_t len;
  char buf[kLineMax];
  // A terminal: an unfinished line (a prompt, echoed typing) is logged at once as a partial
  // record, so that an attached user sees it.
  bool flush_partial = false;
};

int64_t ClockNs(clockid_t id) {
  struct timespec ts {};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// Zero-padded decimal of fixed width.
char* PutNum(char* p, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

// Unpadded decimal (with sign); returns the end.
char* PutInt(char* p, int64_t v) {
  if (v < 0) {
    *p++ = '-';
    v = -v;
  }
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  while (n > 0) *p++ = tmp[--n];
  return p;
}

// "2016-10-06T00:17:09.669794202Z" (30 bytes) for `ns` since the epoch, without gmtime (which
// is not async-signal-safe): days-to-civil conversion of the proleptic Gregorian calendar.
char* PutTimestamp(char* p, int64_t ns) {
  int64_t secs = ns / 1000000000;
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  p = PutNum(p, static_cast<uint64_t>(y), 4);
  *p++ = '-';
  p = PutNum(p, static_cast<uint64_t>(m), 2);
  *p++ = '-';
  p = PutNum(p, static_cast<uint64_t>(d), 2);
  *p++ = 'T';
  p = PutNum(p, static_cast<uint64_t>(rem / 3600), 2);
  *p++ = ':';
  p = PutNum(p, static_cast<uint64_t>(rem / 60 % 60), 2);
  *p++ = ':';
  p = PutNum(p, static_cast<uint64_t>(rem % 60), 2);
  *p++ = '.';
  p = PutNum(p, static_cast<uint64_t>(ns % 1000000000), 9);
  *p++ = 'Z';
  return p;
}

void EmitRecord(int log_fd, const char* stream, const char* data, size_t len, bool partial) {
  char rec[kLineMax + 64];
  char* p = PutTimestamp(rec, ClockNs(CLOCK_REALTIME));
  *p++ = ' ';
  for (const char* s = stream; *s != '\0'; ++s) *p++ = *s;
  *p++ = ' ';
  *p++ = partial ? 'P' : 'F';
  *p++ = ' ';
  memcpy(p, data, len);
  p += len;
  *p++ = '\n';
  WriteAll(log_fd, rec, static_cast<size_t>(p - rec));
}

// Reads what is available; emits complete lines. Closes the stream (fd = -1) at EOF.
void Pump(Stream* s, int log_fd) {
  ssize_t got = read(s->fd, s->buf + s->len, kLineMax - s->len);
  if (got < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (got <= 0) {
    if (s->len > 0) EmitRecord(log_fd, s->name, s->buf, s->len, false);
    s->len = 0;
    close(s->fd);
    s->fd = -1;
    return;
  }
  s->len += static_cast<size_t>(got);
  size_t start = 0;
  for (size_t i = 0; i < s->len; ++i) {
    if (s->buf[i] != '\n') continue;
    EmitRecord(log_fd, s->name, s->buf + start, i - start, false);
    start = i + 1;
  }
  if ((start == 0 && s->len == kLineMax) || (s->flush_partial && start < s->len)) {
    // A line longer than the buffer, or a terminal's unfinished line: a partial record.
    EmitRecord(log_fd, s->name, s->buf + start, s->len - start, true);
    start = s->len;
  }
  memmove(s->buf, s->buf + start, s->len - start);
  s->len -= start;
}

int DecodeWait(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Closes every descriptor except `keep`'s non-negative entries (0..2 too unless kept).
void CloseAllExcept(int* keep, int n) {
  int m = 0;
  for (int i = 0; i < n; ++i) {
    if (keep[i] >= 0) keep[m++] = keep[i];
  }
  n = m;
  for (int i = 1; i < n; ++i) {  // insertion sort: tiny array, no library calls
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  }
  unsigned lo = 0;
  for (int i = 0; i < n; ++i) {
    if (static_cast<unsigned>(keep[i]) > lo) close_range(lo, static_cast<unsigned>(keep[i]) - 1, 0);
    lo = static_cast<unsigned>(keep[i]) + 1;
  }
  close_range(lo, ~0U, 0);
}

void ResetSignals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, nullptr);
  sigaction(SIGHUP, &ign, nullptr);
  struct sigaction reopen {};
  reopen.sa_handler = OnReopenSignal;
  sigaction(SIGUSR1, &reopen, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

void WriteExitFile(const ShimPlan& p, int exit_code) {
  char line[64];
  char* e = PutInt(line, exit_code);
  *e++ = ' ';
  e = PutInt(e, ClockNs(CLOCK_REALTIME));
  *e++ = '\n';
  int fd = open(p.exit_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  WriteAll(fd, line, static_cast<size_t>(e - line));
  fsync(fd);
  close(fd);
  rename(p.exit_tmp, p.exit_file);
}

// `runc create`'s child: runs on its own stack in the shim's memory (CLONE_VM | CLONE_VFORK)
// until execve replaces it, so it only changes what is its own (dispositions, descriptors).
int RuncChild(void* arg) {
  const ShimPlan& p = *static_cast<const ShimPlan*>(arg);
  // Ignored dispositions survive execve; the container must not inherit the shim's.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, nullptr);
  sigaction(SIGHUP, &dfl, nullptr);
  if (dup2(p.fds.stdin_r >= 0 ? p.fds.stdin_r : p.fds.devnull, 0) < 0 || dup2(p.fds.out_w, 1) < 0 ||
      dup2(p.fds.err_w, 2) < 0) {
    _exit(126);
  }
  execve(p.runc_argv[0], const_cast<char* const*>(p.runc_argv), p.envp);
  _exit(127);
}

}  // namespace

[[noreturn]] void RunShim(const ShimPlan& p) {
  prctl(PR_SET_NAME, "capstan-shim", 0, 0, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  ResetSignals();
  AttachServer* attach = p.attach;
  int keep[] = {p.fds.out_r,
                p.fds.out_w,
                p.fds.err_r,
                p.fds.err_w,
                p.fds.ready_w,
                p.fds.devnull,
                p.fds.log_fd,
                p.fds.stdin_r,
                p.fds.console_fd,
                attach != nullptr ? attach->listen_fd : -1,
                attach != nullptr ? attach->stdin_fd : -1};
  CloseAllExcept(keep, static_cast<int>(sizeof(keep) / sizeof(keep[0])));
  if (chdir("/") != 0) _exit(120);
  // runc's child shares the shim's memory until its execve (as posix_spawn does).
  alignas(16) char runc_stack[kChildStackSize];
  pid_t runc = clone(RuncChild, runc_stack + sizeof(runc_stack), CLONE_VM | CLONE_VFORK | SIGCHLD,
                     const_cast<ShimPlan*>(&p));
  close(p.fds.out_w);
  close(p.fds.err_w);
  close(p.fds.devnull);
  if (p.fds.stdin_r >= 0) close(p.fds.stdin_r);
  ShimReport report{-ECHILD, -1, getpid()};
  int master = -1;
  if (runc < 0) {
    report.create_status = -errno;
  } else {
    int st = 0;
    while (waitpid(runc, &st, 0) < 0 && errno == EINTR) {
    }
    report.create_status = DecodeWait(st);
    report.init_pid = ReadPidFile(p.pid_file);
    if (report.create_status == 0 && p.fds.console_fd >= 0) {
      master = ReceiveTerminalMaster(p.fds.console_fd);
      if (master < 0) report.create_status = -EPROTO;
    }
  }
  if (p.fds.console_fd >= 0) {
    close(p.fds.console_fd);
    unlink(p.console_path);
  }
  WriteAll(p.fds.ready_w, reinterpret_cast<const char*>(&report), sizeof(report));
  close(p.fds.ready_w);
  if (report.create_status != 0 || report.init_pid <= 0) _exit(1);

  Stream out{p.fds.out_r, "stdout", 0, {}};
  Stream err{p.fds.err_r, "stderr", 0, {}};
  if (master >= 0) {
    // The container writes to its terminal; the pipe only ever carried runc's own output.
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    close(out.fd);
    out.fd = master;
    out.flush_partial = true;
    if (attach != nullptr) {
      attach->stdin_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
      attach->tty = true;
    }
  }
  int log_fd = p.fds.log_fd;
  bool init_done = false;
  int exit_code = -1;
  int64_t drain_until = 0;
  while (true) {
    if (g_reopen_log != 0) {
      g_reopen_log = 0;
      int fd = open(p.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
      if (fd >= 0) {
        dup2(fd, log_fd);
        close(fd);
      }
    }
    struct pollfd fds[2 + kAttachPollSlots] = {{out.fd, POLLIN, 0}, {err.fd, POLLIN, 0}};
    int nfds = 2;
    if (attach != nullptr) {
      AttachPollFds(*attach, fds + 2);
      nfds += kAttachPollSlots;
    }
    int ready = poll(fds, static_cast<nfds_t>(nfds), init_done ? 20 : 200);
    if (ready > 0) {
      if (out.fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) Pump(&out, log_fd);
      if (err.fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) Pump(&err, log_fd);
      if (attach != nullptr) AttachHandle(attach, fds + 2);
    }
    int st = 0;
    pid_t w;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
      if (w == report.init_pid) {
        init_done = true;
        if (attach != nullptr) AttachCloseStdin(attach);  // attach clients see their end
        exit_code = DecodeWait(st);
        drain_until = ClockNs(CLOCK_MONOTONIC) + kDrainNs;
      }
    }
    if (!init_done && w < 0 && errno == ECHILD) {  // init vanished without being ours
      init_done = true;
      if (attach != nullptr) AttachCloseStdin(attach);
      drain_until = ClockNs(CLOCK_MONOTONIC) + kDrainNs;
    }
    bool streams_closed = out.fd < 0 && err.fd < 0;
    if (init_done && (streams_closed || ClockNs(CLOCK_MONOTONIC) >= drain_until)) break;
  }
  if (attach != nullptr) unlink(p.attach_path);
  WriteExitFile(p, exit_code);
  _exit(0);
}

}  // namespace capstan::plugins::runc_runtime
