// Tests for the pod namespaces (namespaces.h): they are new namespaces held by their files, with
// the hostname set and `lo` up, the host's own namespaces stay as they were, and no child process
// is made for them. Needs root (unshare, mount); skipped otherwise.
#include "namespaces.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

namespace capstan::plugins::runc_runtime {
namespace {

namespace fs = std::filesystem;

std::atomic<int> g_sigchld{0};
void CountSigchld(int /*sig*/) { g_sigchld.fetch_add(1); }

ino_t Inode(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Runs `fn` on a thread that first joins the namespace at `path` (CLONE_NEWNET or CLONE_NEWUTS).
template <typename Fn>
void InNamespace(const std::string& path, int type, Fn fn) {
  std::thread t([&] {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(setns(fd, type), 0) << path;
    close(fd);
    fn();
  });
  t.join();
}

class NamespacesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    dir_ = fs::path("/tmp") / ("capstan-ns-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    paths_.net = (dir_ / "sb/net").string();
    paths_.ipc = (dir_ / "sb/ipc").string();
    paths_.uts = (dir_ / "sb/uts").string();
    paths_.hostname = "pod-a";
  }
  void TearDown() override {
    if (!dir_.empty()) {
      (void)ReleasePodNamespaces(paths_);
      fs::remove_all(dir_);
    }
  }

  fs::path dir_;
  PodNamespacePaths paths_;
};

TEST_F(NamespacesTest, CreatesHeldNamespacesWithHostnameAndLoopbackUp) {
  ino_t host_net = Inode("/proc/self/ns/net");
  ino_t thread_net = Inode("/proc/thread-self/ns/net");
  ino_t host_uts = Inode("/proc/self/ns/uts");
  char host_name[HOST_NAME_MAX + 1] = {};
  ASSERT_EQ(gethostname(host_name, sizeof(host_name)), 0);

  ASSERT_TRUE(CreatePodNamespaces(paths_).ok());

  // The files hold namespaces other than the host's; the host kept its own.
  EXPECT_NE(Inode(paths_.net), 0u);
  EXPECT_NE(Inode(paths_.net), host_net);
  EXPECT_NE(Inode(paths_.uts), host_uts);
  EXPECT_NE(Inode(paths_.ipc), Inode("/proc/self/ns/ipc"));
  EXPECT_EQ(Inode("/proc/self/ns/net"), host_net);
  EXPECT_EQ(Inode("/proc/thread-self/ns/net"), thread_net);
  char now_name[HOST_NAME_MAX + 1] = {};
  ASSERT_EQ(gethostname(now_name, sizeof(now_name)), 0);
  EXPECT_STREQ(now_name, host_name);

  InNamespace(paths_.uts, CLONE_NEWUTS, [] {
    char name[HOST_NAME_MAX + 1] = {};
    ASSERT_EQ(gethostname(name, sizeof(name)), 0);
    EXPECT_STREQ(name, "pod-a");
  });
  InNamespace(paths_.net, CLONE_NEWNET, [] {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(s, 0);
    struct ifreq ifr {};
    memcpy(ifr.ifr_name, "lo", 3);
    ASSERT_EQ(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
    EXPECT_NE(ifr.ifr_flags & IFF_UP, 0);
    close(s);
  });

  ASSERT_TRUE(ReleasePodNamespaces(paths_).ok());
  EXPECT_FALSE(fs::exists(paths_.net));
  EXPECT_FALSE(fs::exists(paths_.uts));
  EXPECT_FALSE(fs::exists(paths_.ipc));
  EXPECT_TRUE(ReleasePodNamespaces(paths_).ok());  // idempotent
}

TEST_F(NamespacesTest, MakesNoChildProcess) {
  // A forked helper would copy the host's address space; its exit would raise SIGCHLD.
  struct sigaction count {};
  count.sa_handler = CountSigchld;
  struct sigaction old {};
  ASSERT_EQ(sigaction(SIGCHLD, &count, &old), 0);
  g_sigchld = 0;
  bool ok = CreatePodNamespaces(paths_).ok();
  sigaction(SIGCHLD, &old, nullptr);
  ASSERT_TRUE(ok);
  EXPECT_EQ(g_sigchld.load(), 0);
}

TEST_F(NamespacesTest, HostNamespacesAreSkippedAndAFailureUndoesTheFiles) {
  PodNamespacePaths ipc_only;
  ipc_only.ipc = paths_.ipc;
  ASSERT_TRUE(CreatePodNamespaces(ipc_only).ok());
  EXPECT_NE(Inode(ipc_only.ipc), Inode("/proc/self/ns/ipc"));
  ASSERT_TRUE(ReleasePodNamespaces(ipc_only).ok());

  // A hostname longer than the kernel's limit fails at sethostname: the error names the step and
  // nothing is left behind.
  paths_.hostname = std::string(HOST_NAME_MAX + 10, 'x');
  sdk::Status st = CreatePodNamespaces(paths_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("sethostname"), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(paths_.net));
  EXPECT_FALSE(fs::exists(paths_.uts));
  EXPECT_FALSE(fs::exists(paths_.ipc));
}

}  // namespace
}  // namespace capstan::plugins::runc_runtime
