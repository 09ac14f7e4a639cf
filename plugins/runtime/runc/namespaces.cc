// Runtime plugin `runc`: pod namespaces held by bind mounts (see namespaces.h).
#include "namespaces.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace capstan::plugins::runc_runtime {
namespace {

// Exit codes of the child, one per step, so the parent can say what failed.
enum ChildStep : int { kUnshare = 10, kHostname, kLoopback, kMountNet, kMountIpc, kMountUts };

const char* StepName(int code) {
  switch (code) {
    case kUnshare:
      return "unshare";
    case kHostname:
      return "sethostname";
    case kLoopback:
      return "bringing up lo";
    case kMountNet:
      return "bind-mounting the network namespace";
    case kMountIpc:
      return "bind-mounting the IPC namespace";
    case kMountUts:
      return "bind-mounting the UTS namespace";
    default:
      return "namespace child";
  }
}

// Runs in the forked child: syscalls only.
[[noreturn]] void NamespaceChild(const char* net, const char* ipc, const char* uts,
                                 const char* hostname, size_t hostname_len) {
  int flags = (net != nullptr ? CLONE_NEWNET : 0) | (ipc != nullptr ? CLONE_NEWIPC : 0) |
              (uts != nullptr ? CLONE_NEWUTS : 0);
  if (unshare(flags) != 0) _exit(kUnshare);
  if (uts != nullptr && hostname_len > 0 && sethostname(hostname, hostname_len) != 0) {
    _exit(kHostname);
  }
  if (net != nullptr) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr {};
    memcpy(ifr.ifr_name, "lo", 3);
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) _exit(kLoopback);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) _exit(kLoopback);
    close(s);
    if (mount("/proc/self/ns/net", net, nullptr, MS_BIND, nullptr) != 0) _exit(kMountNet);
  }
  if (ipc != nullptr && mount("/proc/self/ns/ipc", ipc, nullptr, MS_BIND, nullptr) != 0) {
    _exit(kMountIpc);
  }
  if (uts != nullptr && mount("/proc/self/ns/uts", uts, nullptr, MS_BIND, nullptr) != 0) {
    _exit(kMountUts);
  }
  _exit(0);
}

const char* OrNull(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

}  // namespace

sdk::Status CreatePodNamespaces(const PodNamespacePaths& paths) {
  for (const std::string* p : {&paths.net, &paths.ipc, &paths.uts}) {
    if (p->empty()) continue;
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(*p).parent_path(), ec);
    int fd = open(p->c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
    if (fd < 0) return sdk::Status::Error("create " + *p + ": " + std::strerror(errno));
    close(fd);
  }
  if (paths.net.empty() && paths.ipc.empty() && paths.uts.empty()) return sdk::Status::Ok();
  pid_t pid = _Fork();
  if (pid < 0) return sdk::Status::Error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    NamespaceChild(OrNull(paths.net), OrNull(paths.ipc), OrNull(paths.uts), paths.hostname.c_str(),
                   paths.hostname.size());
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return sdk::Status::Ok();
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  (void)ReleasePodNamespaces(paths);
  return sdk::Status::Error(std::string("creating pod namespaces failed at ") + StepName(code));
}

sdk::Status ReleasePodNamespaces(const PodNamespacePaths& paths) {
  std::string errors;
  for (const std::string* p : {&paths.net, &paths.ipc, &paths.uts}) {
    if (p->empty()) continue;
    if (umount2(p->c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      errors += "umount " + *p + ": " + std::strerror(errno) + "; ";
    }
    if (unlink(p->c_str()) != 0 && errno != ENOENT) {
      errors += "unlink " + *p + ": " + std::strerror(errno) + "; ";
    }
  }
  if (!errors.empty()) return sdk::Status::Error(errors);
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins::runc_runtime
