// Tests for core/client/work_queue.h: dedup, dirty-while-processing requeue, delayed adds in due
// order, per-key exponential backoff, shutdown. Ordering is asserted, never elapsed time.
#include "core/client/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace capstan::client {
namespace {

using std::chrono::milliseconds;

TEST(WorkQueueTest, AddingAQueuedKeyAgainKeepsOneEntry) {
  WorkQueue q;
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), "b");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, KeyAddedWhileProcessingIsRequeuedOnlyAfterDone) {
  WorkQueue q;
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  q.Add("a");  // changed while a worker holds it
  q.Add("a");
  EXPECT_EQ(q.Len(), 0u) << "a key being processed must not be handed to a second worker";
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, DoneWithoutANewAddDoesNotRequeue) {
  WorkQueue q;
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, ShutDownUnblocksAWaitingGet) {
  WorkQueue q;
  std::atomic<bool> returned{false};
  std::optional<std::string> got = "unset";
  std::thread worker([&] {
    got = q.Get();
    returned = true;
  });
  q.ShutDown();
  worker.join();
  EXPECT_TRUE(returned);
  EXPECT_EQ(got, std::nullopt);
  EXPECT_TRUE(q.ShuttingDown());
}

TEST(WorkQueueTest, ShutDownDrainsQueuedKeysThenReturnsNullopt) {
  WorkQueue q;
  q.Add("a");
  q.ShutDown();
  q.Add("b");  // ignored
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), std::nullopt);
}

TEST(WorkQueueTest, DelayedKeysArriveInDueOrderAfterImmediateOnes) {
  WorkQueue q;
  q.AddAfter("late", milliseconds(60));
  q.AddAfter("early", milliseconds(20));
  q.AddAfter("now", milliseconds(0));
  EXPECT_EQ(q.Get(), "now");
  EXPECT_EQ(q.Get(), "early");
  EXPECT_EQ(q.Get(), "late");
}

TEST(WorkQueueTest, ADelayedKeyIsNotQueuedBeforeItsDelay) {
  WorkQueue q;
  q.AddAfter("a", std::chrono::hours(1));
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.NumWaiting(), 1u);
}

TEST(WorkQueueTest, AddingAWaitingKeySooner) {
  WorkQueue q;
  q.AddAfter("a", std::chrono::hours(1));
  q.AddAfter("a", milliseconds(1));
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.NumWaiting(), 0u);
}

TEST(WorkQueueTest, AddingAWaitingKeyLaterKeepsTheEarlierDueTime) {
  WorkQueue q;
  q.AddAfter("a", milliseconds(1));
  q.AddAfter("a", std::chrono::hours(1));
  EXPECT_EQ(q.Get(), "a");
}

TEST(WorkQueueTest, RateLimitedAddsCountRequeuesUntilForget) {
  WorkQueue q;
  q.AddRateLimited("a");
  EXPECT_EQ(q.Get(), "a");
  q.Done("a");
  q.AddRateLimited("a");
  EXPECT_EQ(q.Get(), "a");
  q.Done("a");
  EXPECT_EQ(q.NumRequeues("a"), 2);
  EXPECT_EQ(q.NumRequeues("b"), 0);
  q.Forget("a");
  EXPECT_EQ(q.NumRequeues("a"), 0);
}

TEST(ExponentialBackoffTest, DoublesFromBasePerKeyUpToTheCap) {
  ExponentialBackoff b(milliseconds(5), std::chrono::seconds(1000));
  EXPECT_EQ(b.When("a"), milliseconds(5));
  EXPECT_EQ(b.When("a"), milliseconds(10));
  EXPECT_EQ(b.When("a"), milliseconds(20));
  EXPECT_EQ(b.When("b"), milliseconds(5)) << "keys back off independently";
  for (int i = 0; i < 40; ++i) (void)b.When("a");
  EXPECT_EQ(b.When("a"), std::chrono::seconds(1000));
  for (int i = 0; i < 100; ++i) (void)b.When("a");
  EXPECT_EQ(b.When("a"), std::chrono::seconds(1000)) << "no overflow past 2^63";
  b.Forget("a");
  EXPECT_EQ(b.When("a"), milliseconds(5));
}

TEST(WorkQueueTest, ConcurrentWorkersNeverHoldTheSameKey) {
  WorkQueue q;
  std::mutex mu;
  std::set<std::string> held;
  std::atomic<int> overlaps{0};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.Get()) {
        {
          std::lock_guard l(mu);
          if (!held.insert(*key).second) ++overlaps;
        }
        std::this_thread::yield();
        {
          std::lock_guard l(mu);
          held.erase(*key);
        }
        ++processed;
        q.Done(*key);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) q.Add("k" + std::to_string(i % 7));
  // Wait until everything added has been processed, then stop the workers.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (q.Len() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  q.ShutDown();
  for (auto& t : workers) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GE(processed.load(), 7);
}

}  // namespace
}  // namespace capstan::client
