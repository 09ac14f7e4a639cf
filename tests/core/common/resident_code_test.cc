// Tests for core/common/resident_code.h: trimming drops this test binary's code pages from its
// resident set, leaves written (dirty) mappings alone, and code runs on afterwards.
#include "core/common/resident_code.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace capstan::memory {
namespace {

// Resident kB of this process's executable file mappings, from /proc/self/smaps.
int64_t ResidentCodeKb() {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool code = false;
  int64_t kb = 0;
  while (std::getline(smaps, line)) {
    if (line.find(" r-xp ") != std::string::npos) {
      code = line.find('/') != std::string::npos;
    } else if (line.find(" rw-p ") != std::string::npos ||
               line.find(" r--p ") != std::string::npos ||
               line.find(" ---p ") != std::string::npos ||
               line.find(" rwxp ") != std::string::npos) {
      code = false;
    } else if (code && line.rfind("Rss:", 0) == 0) {
      kb += std::stoll(line.substr(4));
    }
  }
  return kb;
}

int Fibonacci(int n) { return n < 2 ? n : Fibonacci(n - 1) + Fibonacci(n - 2); }

TEST(ResidentCodeTest, TrimDropsCodePagesAndCodeKeepsRunning) {
  const int64_t before = ResidentCodeKb();
  ASSERT_GT(before, 0);
  TrimStats stats = TrimResidentCode();
  EXPECT_GT(stats.mappings, 0);
  EXPECT_GT(stats.dropped_kb, 0);
  const int64_t after = ResidentCodeKb();
  // Reading smaps and returning here fault some pages back in (with the kernel's fault-around,
  // up to 16 at a time), but fewer than were dropped.
  EXPECT_LT(after, before) << "before " << before << " kB, after " << after << " kB";
  EXPECT_EQ(Fibonacci(20), 6765);  // code faults back in and runs
}

TEST(ResidentCodeTest, WrittenDataSurvivesATrim) {
  static std::string written = "written before the trim";
  written += " and after";
  TrimResidentCode();
  EXPECT_EQ(written, "written before the trim and after");
}

}  // namespace
}  // namespace capstan::memory
