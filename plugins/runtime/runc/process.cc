// Runtime plugin `runc`: posix_spawn with captured output and deadlines (see process.h).
#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

namespace capstan::plugins::runc_runtime {
namespace {

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace

int64_t MonotonicNs() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t WallNs() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

sdk::Status RunCommand(const std::vector<std::string>& argv, const CommandOptions& options,
                       CommandResult* result) {
  *result = CommandResult{};
  if (argv.empty()) return sdk::Status::Invalid("empty command");
  Fd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (!options.attach) {
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
      return sdk::Status::Error(std::string("pipe: ") + std::strerror(errno));
    }
  }
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]), err_r(err_pipe[0]), err_w(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int in_fd = options.attach && options.stdin_fd >= 0 ? options.stdin_fd : devnull.get();
  int o_fd =
      options.attach ? (options.stdout_fd >= 0 ? options.stdout_fd : devnull.get()) : out_w.get();
  int e_fd =
      options.attach ? (options.stderr_fd >= 0 ? options.stderr_fd : devnull.get()) : err_w.get();
  posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, o_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, e_fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGCHLD);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cargv[0], &actions, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return sdk::Status::Error("spawn " + argv[0] + ": " + std::strerror(rc));
  out_w.Reset();
  err_w.Reset();

  bool killed = false;
  int status = 0;
  bool reaped = false;
  auto kill_child = [&] {
    if (killed) return;
    killed = true;
    kill(pid, SIGKILL);
    if (options.on_kill) options.on_kill();
  };
  // Read until the child is reaped, then drain what is left without waiting: a grandchild that
  // inherited the pipes must not keep this call alive.
  auto pump = [&](int timeout_ms) {
    struct pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
    if (poll(fds, 2, timeout_ms) <= 0) return false;
    char buf[8192];
    bool any = false;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof(buf));
      if (got <= 0) {
        (i == 0 ? out_r : err_r).Reset();
        continue;
      }
      any = true;
      std::string& dst = i == 0 ? result->out : result->err;
      size_t room = options.max_output > dst.size() ? options.max_output - dst.size() : 0;
      dst.append(buf, std::min(room, static_cast<size_t>(got)));
    }
    return any;
  };
  while (!reaped) {
    bool expired = options.deadline_mono_ns != 0 && MonotonicNs() >= options.deadline_mono_ns;
    if (expired || (options.cancelled && options.cancelled())) kill_child();
    if (out_r.get() >= 0 || err_r.get() >= 0) {
      pump(5);
    } else {
      struct timespec ts {
        0, 2'000'000
      };
      nanosleep(&ts, nullptr);
    }
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      reaped = true;
    } else if (w < 0 && errno != EINTR) {
      return sdk::Status::Error(std::string("waitpid: ") + std::strerror(errno));
    }
  }
  while ((out_r.get() >= 0 || err_r.get() >= 0) && pump(0)) {
  }
  result->exit_code = DecodeStatus(status);
  if (killed) return sdk::Status::DeadlineExceeded(argv[0] + " did not finish in time");
  return sdk::Status::Ok();
}

pid_t ReadPidFile(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[32];
  ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  pid_t pid = 0;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) pid = pid * 10 + (buf[i] - '0');
  return pid > 0 ? pid : -1;
}

}  // namespace capstan::plugins::runc_runtime
