// Tests for core/plugin/executor.h: posting, delays and per-owner drain.
#include "core/plugin/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace capstan::plugin {
namespace {

TEST(HostExecutorTest, PostedTasksRunAndDrainWaitsForThem) {
  HostExecutor executor(2);
  auto owner = executor.NewOwner();
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(executor
                    .Post(
                        owner, [&] { ran++; }, 0)
                    .ok());
  }
  EXPECT_EQ(executor.Drain(owner), 0u);
  EXPECT_EQ(ran.load(), 100);
}

TEST(HostExecutorTest, DrainDropsDelayedTasksAndRefusesNewOnes) {
  HostExecutor executor(1);
  auto owner = executor.NewOwner();
  std::atomic<int> ran{0};
  ASSERT_TRUE(executor
                  .Post(
                      owner, [&] { ran++; }, 3600 * 1000)
                  .ok());
  EXPECT_EQ(executor.Drain(owner), 1u);
  Status late = executor.Post(
      owner, [&] { ran++; }, 0);
  EXPECT_EQ(late.code(), StatusCode::kUnavailable);
  EXPECT_EQ(ran.load(), 0);
}

TEST(HostExecutorTest, DelayedTaskRunsAfterItsDelay) {
  HostExecutor executor(1);
  auto owner = executor.NewOwner();
  std::promise<std::chrono::steady_clock::time_point> done;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(executor
                  .Post(
                      owner, [&] { done.set_value(std::chrono::steady_clock::now()); }, 20)
                  .ok());
  auto ran_at = done.get_future().get();
  EXPECT_GE(ran_at - start, std::chrono::milliseconds(20));
  executor.Drain(owner);
}

TEST(HostExecutorTest, DrainingOneOwnerLeavesOthersRunning) {
  HostExecutor executor(2);
  auto a = executor.NewOwner();
  auto b = executor.NewOwner();
  std::promise<void> b_ran;
  executor.Drain(a);
  EXPECT_FALSE(executor
                   .Post(
                       a, [] {}, 0)
                   .ok());
  ASSERT_TRUE(executor
                  .Post(
                      b, [&] { b_ran.set_value(); }, 0)
                  .ok());
  b_ran.get_future().wait();
  executor.Drain(b);
}

TEST(HostExecutorTest, DestructionDropsPendingTasks) {
  std::atomic<int> ran{0};
  {
    HostExecutor executor(1);
    auto owner = executor.NewOwner();
    ASSERT_TRUE(executor
                    .Post(
                        owner, [&] { ran++; }, 3600 * 1000)
                    .ok());
  }
  EXPECT_EQ(ran.load(), 0);
}

}  // namespace
}  // namespace capstan::plugin
