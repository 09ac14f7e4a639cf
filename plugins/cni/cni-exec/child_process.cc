// Child processes for cni-exec (child_process.h): posix_spawn (no code of ours runs in the child),
// a socket for stdin so a child that exits early cannot raise SIGPIPE, pipes for stdout/stderr, one
// poll loop with the deadline, SIGKILL and reaping on every path.
#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace capstan::cni {
namespace {

int64_t NowNs() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

void SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// Reads what is available; closes `fd` at EOF or on error.
void Drain(int& fd, std::string& into, size_t max) {
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      size_t room = max > into.size() ? max - into.size() : 0;
      into.append(buf, std::min(room, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    CloseFd(fd);
    return;
  }
}

std::vector<char*> Pointers(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Starts the child with fds 0-2 wired to `in`, `out`, `err` and nothing else inherited.
int StartChild(const SpawnRequest& r, int in, int out, int err, pid_t* pid) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in, 0);
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  posix_spawn_file_actions_adddup2(&fa, err, 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Host threads may block signals; the child starts with none blocked and default handlers.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> argv = r.argv.empty() ? std::vector<std::string>{r.path} : r.argv;
  std::vector<char*> argv_p = Pointers(argv);
  std::vector<char*> env_p = Pointers(r.env);
  int rc = posix_spawn(pid, r.path.c_str(), &fa, &attr, argv_p.data(), env_p.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  return rc;
}

void Reap(pid_t pid, SpawnResult& res) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) res.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) res.term_signal = WTERMSIG(status);
}

}  // namespace

SpawnResult Spawn(const SpawnRequest& r) {
  SpawnResult res;
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
      pipe2(err, O_CLOEXEC) != 0) {
    res.error = std::string("creating pipes: ") + std::strerror(errno);
    for (int* p : {in, out, err}) CloseFd(p[0]), CloseFd(p[1]);
    return res;
  }
  pid_t pid = -1;
  int rc = StartChild(r, in[1], out[1], err[1], &pid);
  CloseFd(in[1]);
  CloseFd(out[1]);
  CloseFd(err[1]);
  if (rc != 0) {
    res.error = "spawning " + r.path + ": " + std::strerror(rc);
    CloseFd(in[0]), CloseFd(out[0]), CloseFd(err[0]);
    return res;
  }
  res.started = true;
  int in_fd = in[0];
  int out_fd = out[0];
  int err_fd = err[0];
  SetNonBlocking(in_fd);
  SetNonBlocking(out_fd);
  SetNonBlocking(err_fd);
  size_t written = 0;
  if (r.stdin_data.empty()) CloseFd(in_fd);
  while (out_fd >= 0 || err_fd >= 0) {
    int64_t now = NowNs();
    if ((r.deadline_mono_ns != 0 && now >= r.deadline_mono_ns) || (r.cancelled && r.cancelled())) {
      kill(pid, SIGKILL);
      res.timed_out = true;
      break;
    }
    // Wake at least every 100ms to poll cancellation; otherwise sleep until the deadline.
    int64_t wait_ms = 100;
    if (r.deadline_mono_ns != 0) {
      wait_ms = std::min<int64_t>(wait_ms, (r.deadline_mono_ns - now) / 1000000 + 1);
    }
    struct pollfd fds[3] = {{in_fd, POLLOUT, 0}, {out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    int n = poll(fds, 3, static_cast<int>(wait_ms));
    if (n < 0 && errno != EINTR) {
      res.error = std::string("poll: ") + std::strerror(errno);
      kill(pid, SIGKILL);
      break;
    }
    if (n <= 0) continue;
    if (in_fd >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      ssize_t w = send(in_fd, r.stdin_data.data() + written, r.stdin_data.size() - written,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0) written += static_cast<size_t>(w);
      // A child that stops reading early (EPIPE) simply gets no more input.
      if (written == r.stdin_data.size() || (w < 0 && errno != EAGAIN && errno != EINTR)) {
        CloseFd(in_fd);
      }
    }
    if (out_fd >= 0 && fds[1].revents != 0) Drain(out_fd, res.out, r.max_output);
    if (err_fd >= 0 && fds[2].revents != 0) Drain(err_fd, res.err, r.max_output);
  }
  CloseFd(in_fd);
  CloseFd(out_fd);
  CloseFd(err_fd);
  Reap(pid, res);
  return res;
}

}  // namespace capstan::cni
