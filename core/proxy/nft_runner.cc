// `nft` child processes for the service proxy (nft_runner.h).
#include "core/proxy/nft_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace capstan::proxy {
namespace {

std::string FindOnPath(const std::string& name) {
  std::string dirs = "/usr/sbin:/sbin:/usr/bin:/bin";
  if (const char* path = std::getenv("PATH"); path != nullptr)
    dirs = std::string(path) + ":" + dirs;
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

// Closes both ends of the pipes it holds on destruction.
// Blocks SIGPIPE on this thread while it lives (nft may exit before reading all its input) and
// discards one raised meanwhile, so the caller's process never dies of it.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_{}, old_{};
};

struct Pipes {
  std::array<int, 2> in{-1, -1}, out{-1, -1}, err{-1, -1};
  ~Pipes() {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) {
      if (fd >= 0) close(fd);
    }
  }
  static void Close(int* fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
};

}  // namespace

NftRunner::NftRunner(std::string nft_path, std::string netns)
    : nft_(nft_path.empty() ? FindNft() : std::move(nft_path)), netns_(std::move(netns)) {}

std::string NftRunner::FindNft() { return FindOnPath("nft"); }

Status NftRunner::Apply(std::string_view script) const {
  Result<std::string> r = Exec({"-f", "-"}, script);
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::string> NftRunner::Run(const std::vector<std::string>& args) const {
  return Exec(args, {});
}

Result<std::string> NftRunner::Exec(const std::vector<std::string>& args,
                                    std::string_view input) const {
  if (nft_.empty()) return Status(StatusCode::kUnavailable, "nft is not installed");
  std::vector<std::string> argv;
  if (!netns_.empty()) {
    std::string ip = FindOnPath("ip");
    if (ip.empty()) return Status(StatusCode::kUnavailable, "ip (iproute2) is not installed");
    argv = {ip, "netns", "exec", netns_};
  }
  argv.push_back(nft_);
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  Pipes p;
  if (pipe2(p.in.data(), O_CLOEXEC) != 0 || pipe2(p.out.data(), O_CLOEXEC) != 0 ||
      pipe2(p.err.data(), O_CLOEXEC) != 0) {
    return Status(StatusCode::kUnavailable, std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, p.in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, p.out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, p.err[1], 2);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Status(StatusCode::kUnavailable, "spawn " + argv[0] + ": " + std::strerror(rc));
  }
  Pipes::Close(&p.in[0]);
  Pipes::Close(&p.out[1]);
  Pipes::Close(&p.err[1]);
  if (input.empty()) Pipes::Close(&p.in[1]);
  SigpipeGuard sigpipe;
  // Feed stdin and drain stdout/stderr together so that neither side blocks the other.
  std::string out, err;
  size_t written = 0;
  char buf[65536];
  while (p.out[0] >= 0 || p.err[0] >= 0) {
    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    for (int fd : {p.out[0], p.err[0]}) {
      if (fd >= 0) fds[n++] = {fd, POLLIN, 0};
    }
    if (p.in[1] >= 0) fds[n++] = {p.in[1], POLLOUT, 0};
    if (poll(fds.data(), n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      int fd = fds[i].fd;
      if (fd == p.in[1]) {
        ssize_t w = write(fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 || written == input.size()) Pipes::Close(&p.in[1]);
        continue;
      }
      ssize_t r = read(fd, buf, sizeof(buf));
      if (r > 0) {
        (fd == p.out[0] ? out : err).append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        Pipes::Close(fd == p.out[0] ? &p.out[0] : &p.err[0]);
      }
    }
  }
  Pipes::Close(&p.in[1]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    if (err.size() > 4000) err = err.substr(0, 4000) + "...";
    return Status(StatusCode::kInternal, "nft " + args.front() + " failed: " + err);
  }
  return out;
}

}  // namespace capstan::proxy
