// Tests for the cgroup usage reader (cgroup_stats.h) against fake cgroup trees in a temporary
// directory: v1 controllers, the hybrid unified mount, pure v2, and missing files.
#include "cgroup_stats.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace capstan::plugins::runc_runtime {
namespace {

namespace fs = std::filesystem;

class CgroupStatsTest : public ::testing::Test {
 protected:
  CgroupStatsTest()
      : root_(fs::temp_directory_path() / ("cgroup-stats-test-" + std::to_string(getpid()))) {
    fs::remove_all(root_);
  }
  ~CgroupStatsTest() override { fs::remove_all(root_); }

  void Write(const std::string& relative, const std::string& text) {
    fs::path p = root_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::string root() const { return root_.string(); }

  fs::path root_;
};

TEST_F(CgroupStatsTest, CgroupV1ReadsCpuacctUsageAndMemoryMinusTotalInactiveFile) {
  Write("cpu,cpuacct/agent/capstan/sb/c1/cpuacct.usage", "1500000000\n");
  Write("memory/agent/capstan/sb/c1/memory.usage_in_bytes", "10485760\n");
  Write("memory/agent/capstan/sb/c1/memory.stat",
        "cache 100\ninactive_file 7\ntotal_inactive_file 4194304\n");
  CgroupUsage u =
      ReadCgroupUsage(root(), "4:memory:/agent\n2:cpu,cpuacct:/agent\n0::/\n", "capstan/sb/c1");
  ASSERT_TRUE(u.has_cpu);
  EXPECT_EQ(u.cpu_ns, 1500000000u);
  ASSERT_TRUE(u.has_memory);
  EXPECT_EQ(u.working_set_bytes, 10485760u - 4194304u);
}

TEST_F(CgroupStatsTest, HybridMachineFallsBackToTheUnifiedMountForMissingV1Controllers) {
  // This machine's layout: v1 memory but cpu only through the v2 unified hierarchy.
  Write("memory/c/memory.usage_in_bytes", "2048\n");
  Write("unified/own/c/cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
  CgroupUsage u = ReadCgroupUsage(root(), "4:memory:/\n0::/own\n", "c");
  ASSERT_TRUE(u.has_cpu);
  EXPECT_EQ(u.cpu_ns, 2500000u);
  ASSERT_TRUE(u.has_memory);
  EXPECT_EQ(u.working_set_bytes, 2048u) << "no memory.stat: nothing inactive to subtract";
}

TEST_F(CgroupStatsTest, PureV2ReadsCpuStatAndMemoryCurrentMinusInactiveFile) {
  Write("pod/c/cpu.stat", "usage_usec 42\n");
  Write("pod/c/memory.current", "8192\n");
  Write("pod/c/memory.stat", "anon 4096\ninactive_file 1024\nactive_file 3072\n");
  CgroupUsage u = ReadCgroupUsage(root(), "0::/pod\n", "c");
  EXPECT_EQ(u.cpu_ns, 42000u);
  EXPECT_EQ(u.working_set_bytes, 8192u - 1024u);
}

TEST_F(CgroupStatsTest, WorkingSetIsClampedAtZero) {
  Write("c/memory.current", "100\n");
  Write("c/memory.stat", "inactive_file 500\n");
  CgroupUsage u = ReadCgroupUsage(root(), "0::/\n", "c");
  ASSERT_TRUE(u.has_memory);
  EXPECT_EQ(u.working_set_bytes, 0u);
}

TEST_F(CgroupStatsTest, MissingOrMalformedFilesLeaveTheFigureUnset) {
  Write("cpuacct/c/cpuacct.usage", "not a number\n");
  CgroupUsage u = ReadCgroupUsage(root(), "2:cpuacct:/\n4:memory:/\n", "c");
  EXPECT_FALSE(u.has_cpu);
  EXPECT_FALSE(u.has_memory);
}

}  // namespace
}  // namespace capstan::plugins::runc_runtime
