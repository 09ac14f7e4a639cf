// Child processes for the proxy (subprocess.h): posix_spawn with three pipes, one poll loop.
#include "core/proxy/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace capstan::proxy {
namespace {

// A pipe whose ends close with it.
struct Pipe {
  int read_end = -1, write_end = -1;
  Pipe() = default;
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  bool Open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    read_end = fds[0];
    write_end = fds[1];
    return true;
  }
  void CloseRead() {
    if (read_end >= 0) close(read_end);
    read_end = -1;
  }
  void CloseWrite() {
    if (write_end >= 0) close(write_end);
    write_end = -1;
  }
};

// SIGPIPE stays blocked on this thread while the child's stdin is written (it may exit without
// reading it all); one that became pending is consumed before the old mask returns.
class BlockSigpipe {
 public:
  BlockSigpipe() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &saved_);
  }
  ~BlockSigpipe() {
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      const timespec no_wait{};
      sigtimedwait(&set_, nullptr, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }
  BlockSigpipe(const BlockSigpipe&) = delete;
  BlockSigpipe& operator=(const BlockSigpipe&) = delete;

 private:
  sigset_t set_{}, saved_{};
};

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.size() > 4000) s = s.substr(0, 4000) + "...";
  return s;
}

}  // namespace

std::string FindExecutable(const std::string& name) {
  std::string dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) dirs = std::string(path) + ":";
  dirs += "/usr/sbin:/sbin:/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    if (end > start) {
      std::string candidate = dirs.substr(start, end - start) + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return {};
}

Result<std::string> RunProcess(const std::vector<std::string>& argv, std::string_view input,
                               const std::string& netns) {
  if (argv.empty() || argv[0].empty()) {
    return Status(StatusCode::kUnavailable, "no program to run");
  }
  std::vector<std::string> full;
  if (!netns.empty()) {
    std::string ip = FindExecutable("ip");
    if (ip.empty()) return Status(StatusCode::kUnavailable, "ip (iproute2) is not installed");
    full = {ip, "netns", "exec", netns};
  }
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> cargv;
  cargv.reserve(full.size() + 1);
  for (std::string& a : full) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  Pipe in, out, err;
  if (!in.Open() || !out.Open() || !err.Open()) {
    return Status(StatusCode::kUnavailable, std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read_end, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.write_end, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write_end, STDERR_FILENO);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, full[0].c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return Status(StatusCode::kUnavailable, "spawn " + full[0] + ": " + std::strerror(spawned));
  }
  in.CloseRead();
  out.CloseWrite();
  err.CloseWrite();
  if (input.empty()) in.CloseWrite();

  BlockSigpipe no_sigpipe;
  std::string stdout_text, stderr_text;
  size_t offset = 0;
  char chunk[65536];
  // One loop writes stdin and reads both outputs, so that no pipe fills while another waits.
  while (out.read_end >= 0 || err.read_end >= 0) {
    pollfd fds[3];
    nfds_t count = 0;
    if (out.read_end >= 0) fds[count++] = {out.read_end, POLLIN, 0};
    if (err.read_end >= 0) fds[count++] = {err.read_end, POLLIN, 0};
    if (in.write_end >= 0) fds[count++] = {in.write_end, POLLOUT, 0};
    if (poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in.write_end) {
        ssize_t n = write(in.write_end, input.data() + offset, input.size() - offset);
        if (n > 0) offset += static_cast<size_t>(n);
        if ((n < 0 && errno != EINTR && errno != EAGAIN) || offset == input.size()) {
          in.CloseWrite();
        }
        continue;
      }
      Pipe& source = fds[i].fd == out.read_end ? out : err;
      ssize_t n = read(source.read_end, chunk, sizeof(chunk));
      if (n > 0) {
        (&source == &out ? stdout_text : stderr_text).append(chunk, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        source.CloseRead();
      }
    }
  }
  in.CloseWrite();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string base = argv[0].substr(argv[0].rfind('/') + 1);
    return Status(StatusCode::kInternal, base + " failed: " + Trimmed(std::move(stderr_text)));
  }
  return stdout_text;
}

}  // namespace capstan::proxy
