// Tests for plugins/controllers/replicaset/slow_start: batches of 1, 2, 4, ... that stop at the
// first failing batch, the inline fallback without an executor, cancellation, the deadline
// guard, and items running on host threads.
#include "plugins/controllers/replicaset/slow_start.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "capstan/sdk/testing/fake_host.h"

namespace capstan::controllers {
namespace {

using sdk::testing::FakeCall;
using sdk::testing::FakeHost;

TEST(SlowStartTest, StopsAfterTheBatchInWhichAnItemFailed) {
  FakeHost fake;
  sdk::Host host(fake.host());
  FakeCall raw;
  sdk::Call call(raw.get(), host);
  std::mutex mu;
  std::set<int64_t> attempted;
  // Batches are {0}, {1, 2}, {3, 4, 5, 6}, {7, 8, 9}: item 4 fails, so the third batch finishes
  // and the fourth never starts.
  SlowStartResult r = SlowStart(host, call, 10, [&](int64_t i) {
    std::lock_guard<std::mutex> lock(mu);
    attempted.insert(i);
    return i == 4 ? sdk::Status::Error("quota") : sdk::Status::Ok();
  });
  EXPECT_EQ(attempted, (std::set<int64_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(r.successes, 6);
  EXPECT_EQ(r.skipped, 3);
  EXPECT_EQ(r.first_error.code(), CAPSTAN_RC_ERROR);
  EXPECT_EQ(r.first_error.message(), "quota");
}

TEST(SlowStartTest, RunsEveryItemInlineWhenTheHostHasNoExecutor) {
  FakeHost fake;
  fake.RemoveService("capstan_host_post_v1");
  sdk::Host host(fake.host());
  FakeCall raw;
  sdk::Call call(raw.get(), host);
  std::atomic<int64_t> sum{0};
  SlowStartResult r = SlowStart(host, call, 100, [&](int64_t i) {
    sum += i;
    return sdk::Status::Ok();
  });
  EXPECT_EQ(r.successes, 100);
  EXPECT_EQ(r.skipped, 0);
  EXPECT_TRUE(r.first_error.ok());
  EXPECT_EQ(sum.load(), 99 * 100 / 2);
}

TEST(SlowStartTest, ACancelledCallStartsNothing) {
  FakeHost fake;
  sdk::Host host(fake.host());
  FakeCall raw;
  raw.Cancel();
  sdk::Call call(raw.get(), host);
  int calls = 0;
  SlowStartResult r = SlowStart(host, call, 5, [&](int64_t) {
    ++calls;
    return sdk::Status::Ok();
  });
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(r.skipped, 5);
  EXPECT_EQ(r.first_error.code(), CAPSTAN_RC_DEADLINE_EXCEEDED);
}

TEST(SlowStartTest, LeavesTheRestForLaterWhenTheNextBatchWouldOverrunTheDeadline) {
  FakeHost fake;
  sdk::Host host(fake.host());
  // The first item alone takes most of the budget, so a batch of two cannot fit.
  FakeCall raw(sdk::Call::MonotonicNowNs() + 300'000'000);
  sdk::Call call(raw.get(), host);
  int calls = 0;
  SlowStartResult r = SlowStart(host, call, 8, [&](int64_t) {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // simulated slow request
    return sdk::Status::Ok();
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.successes, 1);
  EXPECT_EQ(r.skipped, 7);
}

TEST(SlowStartTest, ItemsRunOnTheHostsThreadsAndAllFinishBeforeItReturns) {
  FakeHost fake;
  fake.set_post_mode(FakeHost::PostMode::kManual);
  sdk::Host host(fake.host());
  FakeCall raw;
  sdk::Call call(raw.get(), host);
  std::atomic<bool> done{false};
  std::thread executor([&] {  // stands in for the host's pool
    while (!done.load()) {
      if (fake.RunPosted() == 0) std::this_thread::yield();
    }
  });
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> on_caller{0};
  std::atomic<int> finished{0};
  SlowStartResult r = SlowStart(host, call, 20, [&](int64_t) {
    if (std::this_thread::get_id() == caller) ++on_caller;
    ++finished;
    return sdk::Status::Ok();
  });
  done = true;
  executor.join();
  EXPECT_EQ(finished.load(), 20);
  EXPECT_EQ(r.successes, 20);
  EXPECT_EQ(on_caller.load(), 0);
}

}  // namespace
}  // namespace capstan::controllers
