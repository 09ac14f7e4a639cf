// Unit tests of core/agent/server/attach_log.h on a CRI log file in a temporary directory.
#include "core/agent/server/attach_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace capstan::agent::server {
namespace {

class AttachLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("capstan-attach-log-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Append(int attempt, const std::string& data) {
    std::ofstream(dir_ / (std::to_string(attempt) + ".log"), std::ios::app) << data;
  }
  // Everything one Poll emits, as (is_stderr, text) pairs.
  std::vector<std::pair<bool, std::string>> Drain(AttachLog* log, bool* grew = nullptr) {
    std::vector<std::pair<bool, std::string>> out;
    bool g = log->Poll(
        [&](bool is_stderr, std::string text) { out.emplace_back(is_stderr, std::move(text)); });
    if (grew != nullptr) *grew = g;
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(AttachLogTest, FollowsTheNewestAttemptFromItsEndAndJoinsSplitLines) {
  Append(0, "2026-01-02T03:04:05Z stdout F old run\n");
  Append(1, "2026-01-02T03:04:05Z stdout F before\n");
  AttachLog log;
  ASSERT_TRUE(log.Open(dir_.string()).ok());
  EXPECT_EQ(log.attempt(), 1);
  bool grew = true;
  EXPECT_TRUE(Drain(&log, &grew).empty());
  EXPECT_FALSE(grew);
  Append(1, "2026-01-02T03:04:06Z stdout P par");  // a record whose line is not complete yet
  EXPECT_TRUE(Drain(&log).empty());
  Append(1, "tial\n2026-01-02T03:04:06Z stderr F err\nnot a record\n");
  std::vector<std::pair<bool, std::string>> want = {{false, "partial"}, {true, "err\n"}};
  EXPECT_EQ(Drain(&log, &grew), want);
  EXPECT_TRUE(grew);
}

TEST_F(AttachLogTest, AContainerWithoutALogCannotBeAttached) {
  AttachLog log;
  Status s = log.Open(dir_.string());
  EXPECT_EQ(s.code(), StatusCode::kBadRequest) << s.ToString();
}

}  // namespace
}  // namespace capstan::agent::server
