// Runtime plugin `runc`: the per-container shim (see shim.h).
//
// Design. The plugin lives in a multithreaded host, so after fork() only async-signal-safe calls
// are allowed in the child (another thread may hold malloc's or stdio's locks at fork time).
// StartShim therefore prepares everything in the parent — argv/env arrays, paths as C strings,
// pipes (O_CLOEXEC), the opened log file and /dev/null. Child A is a clone() sharing the host's
// memory (CLONE_VM | CLONE_VFORK, on its own stack, all signals blocked, as posix_spawn does): it
// calls setsid() and forks shim B with _Fork() (no atfork handlers), then exits, so B is
// re-parented away from the host and is never the host's zombie. B is the one copy of the host's
// address space (forking a large host costs milliseconds in page tables; session 9 removed the
// two other copies). B (named "capstan-shim"): becomes PR_SET_CHILD_SUBREAPER, resets its signal
// mask and dispositions, closes every descriptor it did not prepare (other threads' pipes would
// otherwise never see EOF), starts C as a CLONE_VM | CLONE_VFORK child of its own, which dup2()s
// the pipes onto 0/1/2 and execve()s `runc create` at once. When runc exits, the container's init
// has been re-parented to B. B reports {create status, init pid} on a pipe the parent waits on,
// then loops: poll() the two pipes, cut lines into CRI log records ("<RFC3339Nano> stdout F text",
// P for a line cut at the buffer size) formatted on the stack and written with write(); waitpid(-1,
// WNOHANG) reaps init and orphans. When init is reaped and the pipes hit EOF (or 2 s later), B
// writes
// "<exit code> <finish ns>" to `exit.tmp`, renames it to `exit` and _exit()s. Only syscalls
// (read, write, poll, waitpid, open, rename, clock_gettime, prctl, sigaction, close_range,
// execve) run in A, B and C; nothing allocates. SIGUSR1 makes B reopen the log (rotation).
// Stdin (CRI "stdin"): C gets the read end of a pipe whose write end B keeps; with "tty" runc
// gets `--console-socket` and B receives the terminal's master after `runc create`, logs what
// it reads from it as stdout and writes stdin to it. B's poll loop also serves the bundle's
// attach socket (shim_attach.h) on an AttachServer the parent allocated before the fork.
#include "shim.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "attach_client.h"
#include "process.h"
#include "shim_attach.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

namespace capstan::plugins::runc_runtime {
namespace {

// ---- Everything in this block runs in forked children: async-signal-safe only. ----

constexpr size_t kLineMax = 8192;
// Stacks of the children that share memory with their parent: C only calls sigaction, dup2 and
// execve; B runs all of ShimMain (two 8 KiB line buffers, C's stack) on a copy of A's.
constexpr size_t kChildStackSize = 16 * 1024;
constexpr size_t kStarterStackSize = 512 * 1024;
constexpr int64_t kDrainNs = 2'000'000'000;

volatile sig_atomic_t g_reopen_log = 0;
void OnReopenSignal(int /*sig*/) { g_reopen_log = 1; }

struct ShimReport {
  int32_t create_status;  // runc create's exit code, or -errno when it could not run
  int32_t init_pid;
  int32_t shim_pid;
};

// Everything B needs, prepared by the parent before fork.
struct ShimPlan {
  const char* const* runc_argv;
  char* const* envp;
  const char* log_path;
  const char* pid_file;
  const char* exit_tmp;
  const char* exit_file;
  const char* attach_path;   // unlinked when B exits; null without stdin
  const char* console_path;  // unlinked once the master arrived; null without tty
  int out_r, out_w, err_r, err_w, ready_w, devnull, log_fd;
  int stdin_r;           // C's stdin; -1: /dev/null
  int console_fd;        // listening console socket; -1 without tty
  AttachServer* attach;  // null without stdin; holds the listening socket and stdin's write end
};

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

// C: runs on its own stack in B's memory (CLONE_VM | CLONE_VFORK) until execve replaces it, so
// it only changes what is its own (dispositions, descriptors).
int RuncChild(void* arg) {
  const ShimPlan& p = *static_cast<const ShimPlan*>(arg);
  // Ignored dispositions survive execve; the container must not inherit the shim's.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, nullptr);
  sigaction(SIGHUP, &dfl, nullptr);
  if (dup2(p.stdin_r >= 0 ? p.stdin_r : p.devnull, 0) < 0 || dup2(p.out_w, 1) < 0 ||
      dup2(p.err_w, 2) < 0) {
    _exit(126);
  }
  execve(p.runc_argv[0], const_cast<char* const*>(p.runc_argv), p.envp);
  _exit(127);
}

[[noreturn]] void ShimMain(const ShimPlan& p) {
  prctl(PR_SET_NAME, "capstan-shim", 0, 0, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  ResetSignals();
  AttachServer* attach = p.attach;
  int keep[] = {p.out_r,
                p.out_w,
                p.err_r,
                p.err_w,
                p.ready_w,
                p.devnull,
                p.log_fd,
                p.stdin_r,
                p.console_fd,
                attach != nullptr ? attach->listen_fd : -1,
                attach != nullptr ? attach->stdin_fd : -1};
  CloseAllExcept(keep, static_cast<int>(sizeof(keep) / sizeof(keep[0])));
  if (chdir("/") != 0) _exit(120);
  // C shares B's memory until its execve (as posix_spawn does): no copy of the address space.
  alignas(16) char runc_stack[kChildStackSize];
  pid_t runc = clone(RuncChild, runc_stack + sizeof(runc_stack), CLONE_VM | CLONE_VFORK | SIGCHLD,
                     const_cast<ShimPlan*>(&p));
  close(p.out_w);
  close(p.err_w);
  close(p.devnull);
  if (p.stdin_r >= 0) close(p.stdin_r);
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
    if (report.create_status == 0 && p.console_fd >= 0) {
      master = ReceiveTerminalMaster(p.console_fd);
      if (master < 0) report.create_status = -EPROTO;
    }
  }
  if (p.console_fd >= 0) {
    close(p.console_fd);
    unlink(p.console_path);
  }
  WriteAll(p.ready_w, reinterpret_cast<const char*>(&report), sizeof(report));
  close(p.ready_w);
  if (report.create_status != 0 || report.init_pid <= 0) _exit(1);

  Stream out{p.out_r, "stdout", 0, {}};
  Stream err{p.err_r, "stderr", 0, {}};
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
  int log_fd = p.log_fd;
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

// A: runs in the host's memory (CLONE_VM | CLONE_VFORK, on a stack the parent allocated, with
// every signal blocked) and forks B, the only copy of the host's address space the shim makes.
int ShimStarter(void* arg) {
  setsid();
  pid_t b = _Fork();
  if (b == 0) ShimMain(*static_cast<const ShimPlan*>(arg));
  _exit(b < 0 ? 1 : 0);
}

// ---- Parent side. ----

class Fds {
 public:
  ~Fds() {
    for (int fd : fds_) {
      if (fd >= 0) close(fd);
    }
  }
  int Add(int fd) {
    fds_.push_back(fd);
    return fd;
  }
  void Close(int fd) {
    for (int& f : fds_) {
      if (f == fd && f >= 0) {
        close(f);
        f = -1;
      }
    }
  }

 private:
  std::vector<int> fds_;
};

// A listening, non-blocking, close-on-exec unix socket at `path` (a stale file is replaced).
sdk::Status ListenUnix(const std::string& path, int* out) {
  *out = -1;
  std::string address;
  int dir_fd = -1;
  CAPSTAN_SDK_RETURN_IF_ERROR(UnixSocketAddress(path, &address, &dir_fd));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address.c_str(), address.size() + 1);
  unlink(path.c_str());
  *out = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  bool ok = *out >= 0 && bind(*out, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
            listen(*out, 8) == 0;
  int e = errno;
  if (dir_fd >= 0) close(dir_fd);
  if (!ok) return sdk::Status::Error("socket " + path + ": " + std::strerror(e));
  return sdk::Status::Ok();
}

}  // namespace

sdk::Status StartShim(const ShimRequest& request, int64_t deadline_mono_ns, ShimInfo* info) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(request.log_path).parent_path(), ec);
  std::string pid_file = request.bundle_dir + "/" + kInitPidFile;
  std::string exit_file = request.bundle_dir + "/" + kExitFile;
  std::string exit_tmp = exit_file + ".tmp";
  std::string runc_log = request.bundle_dir + "/" + kRuncLogFile;
  std::string attach_path = request.bundle_dir + "/" + kAttachSocketFile;
  // runc dials the console socket by name: it must fit sun_path (see ShimRequest).
  std::string console_path = request.console_socket;
  std::vector<std::string> args = {
      request.runc_path, "--root",   request.runc_root,  "--log",      runc_log,
      "create",          "--bundle", request.bundle_dir, "--pid-file", pid_file};
  if (request.tty) {
    args.push_back("--console-socket");
    args.push_back(console_path);
  }
  args.push_back(request.container_id);
  std::vector<const char*> argv;
  argv.reserve(args.size() + 1);
  for (const std::string& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);

  Fds fds;
  int log_fd =
      fds.Add(open(request.log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (log_fd < 0) {
    return sdk::Status::Error("open log " + request.log_path + ": " + std::strerror(errno));
  }
  int devnull = fds.Add(open("/dev/null", O_RDWR | O_CLOEXEC));
  int out[2], err[2], ready[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(ready, O_CLOEXEC) != 0) {
    return sdk::Status::Error(std::string("pipe: ") + std::strerror(errno));
  }
  for (int fd : {out[0], out[1], err[0], err[1], ready[0], ready[1]}) fds.Add(fd);
  // Stdin and the sockets, prepared here: the shim may not allocate.
  std::unique_ptr<AttachServer> attach;
  int stdin_r = -1, console_fd = -1;
  if (request.stdin_open) {
    attach = std::make_unique<AttachServer>();
    attach->stdin_once = request.stdin_once;
    sdk::Status st = ListenUnix(attach_path, &attach->listen_fd);
    fds.Add(attach->listen_fd);
    CAPSTAN_SDK_RETURN_IF_ERROR(st);
    if (!request.tty) {
      int in[2];
      if (pipe2(in, O_CLOEXEC) != 0) {
        return sdk::Status::Error(std::string("pipe: ") + std::strerror(errno));
      }
      stdin_r = fds.Add(in[0]);
      attach->stdin_fd = fds.Add(in[1]);
      fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
    }
  }
  if (request.tty) {
    sdk::Status st = ListenUnix(console_path, &console_fd);
    fds.Add(console_fd);
    CAPSTAN_SDK_RETURN_IF_ERROR(st);
  }
  ShimPlan plan{argv.data(),
                environ,
                request.log_path.c_str(),
                pid_file.c_str(),
                exit_tmp.c_str(),
                exit_file.c_str(),
                attach ? attach_path.c_str() : nullptr,
                request.tty ? console_path.c_str() : nullptr,
                out[0],
                out[1],
                err[0],
                err[1],
                ready[1],
                devnull,
                log_fd,
                stdin_r,
                console_fd,
                attach.get()};

  // A borrows this thread's memory until it exits; B then runs on (a copy of) A's stack.
  std::unique_ptr<char[]> a_stack(new char[kStarterStackSize]);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t a = clone(ShimStarter, a_stack.get() + kStarterStackSize, CLONE_VM | CLONE_VFORK | SIGCHLD,
                  &plan);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (a < 0) return sdk::Status::Error(std::string("clone: ") + std::strerror(clone_errno));
  for (int fd : {out[0], out[1], err[0], err[1], ready[1], devnull, log_fd, stdin_r, console_fd}) {
    fds.Close(fd);
  }
  if (attach) {
    fds.Close(attach->listen_fd);
    fds.Close(attach->stdin_fd);
  }
  int st = 0;
  while (waitpid(a, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return sdk::Status::Error("shim fork failed");

  if (deadline_mono_ns == 0) deadline_mono_ns = MonotonicNs() + 30'000'000'000;
  ShimReport report{};
  size_t have = 0;
  while (have < sizeof(report)) {
    int64_t left_ms = (deadline_mono_ns - MonotonicNs()) / 1'000'000;
    if (left_ms <= 0) return sdk::Status::DeadlineExceeded("runc create did not finish in time");
    struct pollfd pfd {
      ready[0], POLLIN, 0
    };
    if (poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left_ms, 1000))) <= 0) continue;
    ssize_t n = read(ready[0], reinterpret_cast<char*>(&report) + have, sizeof(report) - have);
    if (n <= 0) return sdk::Status::Error("shim exited before reporting");
    have += static_cast<size_t>(n);
  }
  if (report.create_status != 0 || report.init_pid <= 0) {
    std::ifstream in(runc_log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() > 2000) text = text.substr(text.size() - 2000);
    return sdk::Status::Error("runc create failed (status " + std::to_string(report.create_status) +
                              "): " + text);
  }
  info->init_pid = report.init_pid;
  info->shim_pid = report.shim_pid;
  return sdk::Status::Ok();
}

bool ReadExitFile(const std::string& bundle_dir, int32_t* exit_code, int64_t* finished_ns) {
  std::ifstream in(bundle_dir + "/" + kExitFile);
  int64_t code = 0;
  int64_t at = 0;
  if (!(in >> code >> at)) return false;
  *exit_code = static_cast<int32_t>(code);
  *finished_ns = at;
  return true;
}

sdk::Status ReopenShimLog(pid_t shim_pid) {
  if (shim_pid <= 0) return sdk::Status::NotFound("no shim");
  std::ifstream comm("/proc/" + std::to_string(shim_pid) + "/comm");
  std::string name;
  if (!std::getline(comm, name) || name != "capstan-shim") {
    return sdk::Status::NotFound("shim " + std::to_string(shim_pid) + " is gone");
  }
  if (kill(shim_pid, SIGUSR1) != 0) return sdk::Status::Error(std::strerror(errno));
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins::runc_runtime
