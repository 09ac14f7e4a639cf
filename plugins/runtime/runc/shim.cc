// Runtime plugin `runc`: starting the per-container shim (see shim.h).
//
// The shim is its own executable, `capstan-shim` (shim_exe.cc, body in shim_main.cc), installed
// beside the plugin. Starting it must not copy the plugin host's address space: the host is
// multithreaded, ~70 MB resident and maps gigabytes, and a fork() copies its page tables, then
// write-protects every page the host owns, so the host pays a copy-on-write fault per page it
// next touches while the forked shim keeps the old pages alive for the container's lifetime.
// StartShim therefore prepares everything first — the shim's argv (shim_args.h), pipes
// (O_CLOEXEC), the opened log file, /dev/null, the attach and console sockets — and then:
//   A: a clone(CLONE_VM | CLONE_VFORK) child on a stack allocated here, every signal blocked (as
//      posix_spawn does): calls setsid() and starts B the same way, then exits, so B is
//      re-parented away from the host and never becomes its zombie.
//   B: still in the host's memory until execve: clears close-on-exec on the descriptors the shim
//      keeps (its descriptor table is its own copy) and executes `capstan-shim`. Only syscalls
//      run in A and B; an execve error is left in the plan they share with this thread.
// The shim then resets its signals, closes every descriptor it was not given, runs `runc create`
// as a CLONE_VM | CLONE_VFORK child of its own (stdin/stdout/stderr on the prepared pipes),
// becomes the subreaper of the container's init and reports {create status, init pid, shim pid}
// on the ready pipe this function waits on. It then loops: poll() the two pipes, cut lines into
// CRI log records ("<RFC3339Nano> stdout F text", P for a line cut at the buffer size) written
// with write(); waitpid(-1, WNOHANG) reaps init and orphans. When init is reaped and the pipes hit
// EOF (or 2 s later), it writes "<exit code> <finish ns>" to `exit.tmp`, renames it to `exit` and
// exits. SIGUSR1 makes it reopen the log (rotation). Stdin (CRI "stdin"): runc gets the read end
// of a pipe whose write end the shim keeps; with "tty" runc gets `--console-socket` and the shim
// receives the terminal's master after `runc create`, logs what it reads from it as stdout and
// writes stdin to it. The shim's poll loop also serves the bundle's attach socket (shim_attach.h).
#include "shim.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "attach_client.h"
#include "attach_frame.h"
#include "process.h"
#include "shim_args.h"
#include "shim_main.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

namespace capstan::plugins::runc_runtime {
namespace {

// ---- A and B run in the host's memory: system calls only. ----

// A's stack, then B's: each only makes a few system calls.
constexpr size_t kCloneStackSize = 32 * 1024;

struct ExecPlan {
  const char* shim_path;
  char* const* argv;
  char* const* envp;
  const int* keep_fds;  // cleared of close-on-exec in B
  size_t keep_count;
  char* b_stack_top;
  int exec_errno;  // set by A or B when B could not be started
};

int ShimExec(void* arg) {
  auto* plan = static_cast<ExecPlan*>(arg);
  for (size_t i = 0; i < plan->keep_count; ++i) {
    if (plan->keep_fds[i] >= 0) fcntl(plan->keep_fds[i], F_SETFD, 0);
  }
  execve(plan->shim_path, plan->argv, plan->envp);
  plan->exec_errno = errno;
  _exit(127);
}

int ShimStarter(void* arg) {
  auto* plan = static_cast<ExecPlan*>(arg);
  setsid();
  // Returns once B has executed the shim, or has exited after setting exec_errno.
  pid_t b = clone(ShimExec, plan->b_stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, plan);
  if (b < 0) plan->exec_errno = errno;
  _exit(plan->exec_errno != 0 ? 1 : 0);
}

// ---- Host side. ----

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
  ShimArgs args;
  args.log_path = request.log_path;
  args.pid_file = request.bundle_dir + "/" + kInitPidFile;
  args.exit_file = request.bundle_dir + "/" + kExitFile;
  std::string runc_log = request.bundle_dir + "/" + kRuncLogFile;
  args.runc_argv = {request.runc_path, "--root",   request.runc_root,  "--log",      runc_log,
                    "create",          "--bundle", request.bundle_dir, "--pid-file", args.pid_file};
  if (request.tty) {
    // runc dials the console socket by name: it must fit sun_path (see ShimRequest).
    args.console_path = request.console_socket;
    args.runc_argv.insert(args.runc_argv.end(), {"--console-socket", args.console_path});
  }
  args.runc_argv.push_back(request.container_id);

  Fds fds;
  ShimFds& f = args.fds;
  f.log_fd =
      fds.Add(open(request.log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (f.log_fd < 0) {
    return sdk::Status::Error("open log " + request.log_path + ": " + std::strerror(errno));
  }
  f.devnull = fds.Add(open("/dev/null", O_RDWR | O_CLOEXEC));
  int out[2], err[2], ready[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(ready, O_CLOEXEC) != 0) {
    return sdk::Status::Error(std::string("pipe: ") + std::strerror(errno));
  }
  for (int fd : {out[0], out[1], err[0], err[1], ready[0], ready[1]}) fds.Add(fd);
  f.out_r = out[0];
  f.out_w = out[1];
  f.err_r = err[0];
  f.err_w = err[1];
  f.ready_w = ready[1];
  if (request.stdin_open) {
    args.attach_path = request.bundle_dir + "/" + kAttachSocketFile;
    args.stdin_once = request.stdin_once;
    sdk::Status st = ListenUnix(args.attach_path, &f.attach_listen);
    fds.Add(f.attach_listen);
    CAPSTAN_SDK_RETURN_IF_ERROR(st);
    if (!request.tty) {
      int in[2];
      if (pipe2(in, O_CLOEXEC) != 0) {
        return sdk::Status::Error(std::string("pipe: ") + std::strerror(errno));
      }
      f.stdin_r = fds.Add(in[0]);
      f.attach_stdin = fds.Add(in[1]);
      fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
    }
  }
  if (request.tty) {
    sdk::Status st = ListenUnix(args.console_path, &f.console_fd);
    fds.Add(f.console_fd);
    CAPSTAN_SDK_RETURN_IF_ERROR(st);
  }

  std::vector<std::string> argv_strings = EncodeShimArgs(args);
  argv_strings.insert(argv_strings.begin(), request.shim_path);
  std::vector<char*> argv;
  argv.reserve(argv_strings.size() + 1);
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::array<int, 11> keep = ShimFdList(f);
  std::unique_ptr<char[]> stacks(new char[2 * kCloneStackSize]);
  ExecPlan plan{request.shim_path.c_str(),
                argv.data(),
                environ,
                keep.data(),
                keep.size(),
                stacks.get() + 2 * kCloneStackSize,
                0};
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t a =
      clone(ShimStarter, stacks.get() + kCloneStackSize, CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (a < 0) return sdk::Status::Error(std::string("clone: ") + std::strerror(clone_errno));
  for (int fd : keep) fds.Close(fd);
  int st = 0;
  while (waitpid(a, &st, 0) < 0 && errno == EINTR) {
  }
  if (plan.exec_errno != 0) {
    return sdk::Status::Error("starting " + request.shim_path + ": " +
                              std::strerror(plan.exec_errno));
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return sdk::Status::Error("shim start failed");

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
