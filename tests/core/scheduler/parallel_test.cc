// Tests for core/scheduler/parallel.h and task_pool.h.
#include "core/scheduler/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "core/scheduler/task_pool.h"

namespace capstan::scheduler {
namespace {

TEST(ParallelPoolTest, SharedWorkIsAllDoneAndEachWorkerIndexRunsAtMostOnce) {
  ParallelPool pool(3);
  EXPECT_EQ(pool.parallelism(), 3);
  for (int round = 0; round < 50; ++round) {
    std::mutex mu;
    std::multiset<int> seen;
    std::atomic<int> next{0};
    std::atomic<int> done{0};
    pool.Run(3, [&](int w) {
      while (next.fetch_add(1) < 10000) done.fetch_add(1);
      std::lock_guard lock(mu);
      seen.insert(w);
    });
    EXPECT_EQ(done.load(), 10000);
    EXPECT_EQ(seen.count(0), 1u);
    for (int w : {1, 2}) EXPECT_LE(seen.count(w), 1u);
  }
  std::atomic<int> calls{0};
  pool.Run(1, [&](int w) {
    EXPECT_EQ(w, 0);
    calls.fetch_add(1);
  });
  EXPECT_EQ(calls.load(), 1);
}

TEST(ParallelPoolTest, AWorkerThatJoinsRunsAlongsideTheCaller) {
  ParallelPool pool(2);
  std::atomic<bool> helper_ran{false};
  // The caller holds its share until the worker has joined, so the worker is certainly used.
  pool.Run(2, [&](int w) {
    if (w == 1) {
      helper_ran = true;
      return;
    }
    while (!helper_ran.load()) std::this_thread::yield();
  });
  EXPECT_TRUE(helper_ran.load());
}

TEST(TaskPoolTest, RunsTasksAndWaitIdleSeesThemAllFinished) {
  TaskPool pool(2);
  std::atomic<int> done{0};
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(pool.Post([&] { done.fetch_add(1); }));
  pool.WaitIdle();
  EXPECT_EQ(done.load(), 100);
  pool.Shutdown();
  EXPECT_FALSE(pool.Post([] {}));
}

TEST(TaskPoolTest, ABoundedBacklogDropsAndCounts) {
  TaskPool pool(1, 1);
  std::mutex gate;
  gate.lock();
  std::atomic<bool> started{false};
  ASSERT_TRUE(pool.Post([&] {
    started = true;
    std::lock_guard lock(gate);
  }));
  while (!started.load()) std::this_thread::yield();
  EXPECT_TRUE(pool.Post([] {}));   // fills the backlog of 1
  EXPECT_FALSE(pool.Post([] {}));  // dropped
  EXPECT_EQ(pool.dropped(), 1u);
  gate.unlock();
  pool.WaitIdle();
}

}  // namespace
}  // namespace capstan::scheduler
