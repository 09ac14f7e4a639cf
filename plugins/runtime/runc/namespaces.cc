// Runtime plugin `runc`: pod namespaces held by bind mounts (see namespaces.h).
#include "namespaces.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>

namespace capstan::plugins::runc_runtime {
namespace {

// The step that failed, so the caller can say what.
enum Step : int { kOk = 0, kUnshare, kHostname, kLoopback, kMountNet, kMountIpc, kMountUts };

const char* StepName(int step) {
  switch (step) {
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
      return "namespace thread";
  }
}

struct Outcome {
  int step = kOk;
  int error = 0;  // errno of the failed step
};

// Runs on a thread of its own, which then exits: unshare(2) of these three namespaces applies to
// the calling thread only, so the rest of the host keeps its own. The thread's namespace files
// are bind-mounted (the mount namespace is the process's) so that they outlive it.
Outcome NamespaceThread(const PodNamespacePaths& paths) {
  auto fail = [](int step) { return Outcome{step, errno}; };
  int flags = (paths.net.empty() ? 0 : CLONE_NEWNET) | (paths.ipc.empty() ? 0 : CLONE_NEWIPC) |
              (paths.uts.empty() ? 0 : CLONE_NEWUTS);
  if (unshare(flags) != 0) return fail(kUnshare);
  if (!paths.uts.empty() && !paths.hostname.empty() &&
      sethostname(paths.hostname.data(), paths.hostname.size()) != 0) {
    return fail(kHostname);
  }
  // /proc/self/ns names the thread group leader's namespaces, not this thread's.
  std::string self = "/proc/self/task/" + std::to_string(gettid()) + "/ns/";
  if (!paths.net.empty()) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return fail(kLoopback);
    struct ifreq ifr {};
    memcpy(ifr.ifr_name, "lo", 3);
    bool up = ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    up = up && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
    Outcome why = up ? Outcome{} : fail(kLoopback);
    close(s);
    if (!up) return why;
    if (mount((self + "net").c_str(), paths.net.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return fail(kMountNet);
    }
  }
  if (!paths.ipc.empty() &&
      mount((self + "ipc").c_str(), paths.ipc.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return fail(kMountIpc);
  }
  if (!paths.uts.empty() &&
      mount((self + "uts").c_str(), paths.uts.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return fail(kMountUts);
  }
  return Outcome{};
}

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
  // A thread rather than a forked child: a fork copies the host's page tables (the server maps
  // GBs of reserved heap and thread stacks) and tears them down again, for a few syscalls.
  Outcome outcome;
  try {
    std::thread worker([&paths, &outcome] { outcome = NamespaceThread(paths); });
    worker.join();
  } catch (const std::system_error& e) {
    (void)ReleasePodNamespaces(paths);
    return sdk::Status::Error(std::string("creating pod namespaces: starting a thread: ") +
                              e.what());
  }
  if (outcome.step == kOk) return sdk::Status::Ok();
  (void)ReleasePodNamespaces(paths);
  return sdk::Status::Error(std::string("creating pod namespaces failed at ") +
                            StepName(outcome.step) + ": " + std::strerror(outcome.error));
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
