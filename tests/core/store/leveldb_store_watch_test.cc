// Watch tests for core/store/leveldb_store.h through the `Store` interface: replay then live with
// no gap or duplicate under concurrent writers, prefixes, cancellation, slow watchers, compaction
// and shutdown. Hub-level unit tests are in watch_hub_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/store/leveldb_store.h"
#include "tests/core/store/store_test_util.h"

namespace capstan::store {
namespace {

using testing::Collector;
using testing::TempDir;

std::vector<int64_t> Range(int64_t first, int64_t last) {
  std::vector<int64_t> v;
  for (int64_t r = first; r <= last; ++r) v.push_back(r);
  return v;
}

// A gate a callback can block on until the test opens it.
class Gate {
 public:
  void Wait() {
    std::unique_lock lk(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lk, [&] { return open_; });
  }
  bool WaitEntered() {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(30), [&] { return entered_; });
  }
  void Open() {
    std::lock_guard lk(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_ = false;
};

class LevelDbStoreWatchTest : public ::testing::Test {
 protected:
  void Open(LevelDbStore::Options options) {
    store_.reset();
    Result<std::unique_ptr<LevelDbStore>> s = LevelDbStore::Open(dir_.path(), options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  void SetUp() override { Open({}); }
  void CreateN(const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(store_->Create(prefix + std::to_string(i), "v").ok());
  }
  std::unique_ptr<Watch> MustWatch(std::string_view prefix, int64_t after, Collector* c) {
    Result<std::unique_ptr<Watch>> w =
        store_->WatchPrefix(prefix, after, c->Callback(), c->OnError());
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(*w) : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<LevelDbStore> store_;
};

TEST_F(LevelDbStoreWatchTest, ReplaysHistoryThenDeliversLiveEventsForThePrefix) {
  ASSERT_TRUE(store_->Create("/p/a", "1").ok());
  ASSERT_TRUE(store_->Create("/q/a", "x").ok());
  ASSERT_TRUE(store_->Update("/p/a", "2", 0).ok());
  Collector c;
  std::unique_ptr<Watch> w = MustWatch("/p/", 0, &c);
  ASSERT_TRUE(c.WaitForEvents(2));
  ASSERT_TRUE(store_->Delete("/p/a", 0).ok());
  ASSERT_TRUE(store_->Create("/q/b", "x").ok());
  ASSERT_TRUE(store_->Create("/p/b", "3").ok());
  ASSERT_TRUE(c.WaitForEvents(4));
  std::vector<Event> e = c.events();
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(c.revisions(), (std::vector<int64_t>{1, 3, 4, 6}));
  EXPECT_EQ(e[0].type, EventType::kPut);
  EXPECT_FALSE(e[0].prev.has_value());
  EXPECT_EQ(e[1].kv.value, "2");
  ASSERT_TRUE(e[1].prev.has_value());
  EXPECT_EQ(e[1].prev->value, "1");
  EXPECT_EQ(e[1].kv.create_revision, 1);
  EXPECT_EQ(e[2].type, EventType::kDelete);
  EXPECT_EQ(e[2].kv.key, "/p/a");
  EXPECT_TRUE(e[2].kv.value.empty());
  ASSERT_TRUE(e[2].prev.has_value());
  EXPECT_EQ(e[2].prev->value, "2");
  EXPECT_EQ(e[2].prev->mod_revision, 3);
  EXPECT_EQ(e[3].kv.key, "/p/b");
  EXPECT_FALSE(c.error().has_value());
}

TEST_F(LevelDbStoreWatchTest, WatchFromACompactedRevisionFailsWithGone) {
  CreateN("/k", 5);
  ASSERT_TRUE(store_->Compact(3).ok());
  Collector c;
  Result<std::unique_ptr<Watch>> w = store_->WatchPrefix("", 2, c.Callback(), c.OnError());
  EXPECT_EQ(w.status().code(), StatusCode::kGone);
  std::unique_ptr<Watch> ok = MustWatch("", 3, &c);
  ASSERT_TRUE(c.WaitForEvents(2));
  EXPECT_EQ(c.revisions(), (std::vector<int64_t>{4, 5}));
}

TEST_F(LevelDbStoreWatchTest, WatchFromAFutureRevisionWaitsForIt) {
  CreateN("/a", 2);
  Collector c;
  std::unique_ptr<Watch> w = MustWatch("", 4, &c);
  CreateN("/b", 3);
  ASSERT_TRUE(c.WaitForEvents(1));
  EXPECT_EQ(c.revisions(), (std::vector<int64_t>{5}));
}

TEST_F(LevelDbStoreWatchTest, WatchersStartedDuringConcurrentWritesSeeEveryRevisionOnceInOrder) {
  // A tiny in-memory tail and short turns force replays from disk to hand over to live events.
  LevelDbStore::Options o;
  o.watch.tail_bytes = 2048;
  o.watch.max_events_per_turn = 7;
  Open(o);
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 150;
  std::atomic<int> started{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerWriter; ++i) {
        std::string key = "/w" + std::to_string(t) + "/" + std::to_string(i);
        ASSERT_TRUE(store_->Create(key, std::string(100, 'x')).ok());
        started++;
      }
    });
  }
  struct Watcher {
    int64_t after = 0;
    Collector c;
    std::unique_ptr<Watch> w;
  };
  std::vector<std::unique_ptr<Watcher>> watchers;
  Collector only_w0;
  std::unique_ptr<Watch> w0 = MustWatch("/w0/", 0, &only_w0);
  for (int i = 0; i < 6; ++i) {
    // Spread the starts over the write stream without sleeping.
    while (started.load() < i * kWriters * kPerWriter / 8) std::this_thread::yield();
    auto x = std::make_unique<Watcher>();
    x->after = i % 2 == 0 ? store_->CurrentRevision() : store_->CurrentRevision() / 2;
    x->w = MustWatch("", x->after, &x->c);
    watchers.push_back(std::move(x));
  }
  for (std::thread& t : writers) t.join();
  const int64_t last = store_->CurrentRevision();
  ASSERT_EQ(last, kWriters * kPerWriter);
  for (auto& x : watchers) {
    ASSERT_TRUE(x->c.WaitForEvents(static_cast<size_t>(last - x->after))) << "after " << x->after;
    EXPECT_EQ(x->c.revisions(), Range(x->after + 1, last)) << "after " << x->after;
    EXPECT_FALSE(x->c.error().has_value());
  }
  ASSERT_TRUE(only_w0.WaitForEvents(kPerWriter));
  std::vector<Event> e = only_w0.events();
  ASSERT_EQ(e.size(), static_cast<size_t>(kPerWriter));
  for (int i = 0; i < kPerWriter; ++i) {
    EXPECT_EQ(e[i].kv.key, "/w0/" + std::to_string(i));
    if (i > 0) {
      EXPECT_GT(e[i].kv.mod_revision, e[i - 1].kv.mod_revision);
    }
  }
}

TEST_F(LevelDbStoreWatchTest, NoCallbackRunsAfterTheWatchIsDestroyed) {
  std::atomic<bool> destroyed{false};
  std::atomic<int> after_destroy{0};
  std::atomic<int> calls{0};
  Result<std::unique_ptr<Watch>> w = store_->WatchPrefix("", 0, [&](std::span<const Event>) {
    if (destroyed.load()) after_destroy++;
    calls++;
  });
  ASSERT_TRUE(w.ok());
  Collector sentinel;
  std::unique_ptr<Watch> s = MustWatch("", 0, &sentinel);
  std::thread writer([&] { CreateN("/a", 200); });
  while (calls.load() < 5) std::this_thread::yield();
  w->reset();
  destroyed = true;
  writer.join();
  CreateN("/b", 5);
  ASSERT_TRUE(sentinel.WaitForEvents(205));
  EXPECT_EQ(after_destroy.load(), 0);
}

TEST_F(LevelDbStoreWatchTest, AWatchMayBeDestroyedInsideItsOwnCallback) {
  std::unique_ptr<Watch> self;
  std::atomic<int> calls{0};
  Result<std::unique_ptr<Watch>> w = store_->WatchPrefix("", 0, [&](std::span<const Event>) {
    calls++;
    self.reset();
  });
  ASSERT_TRUE(w.ok());
  self = std::move(*w);
  Collector sentinel;
  std::unique_ptr<Watch> s = MustWatch("", 0, &sentinel);
  CreateN("/a", 20);
  ASSERT_TRUE(sentinel.WaitForEvents(20));
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(LevelDbStoreWatchTest, ABlockedWatcherDoesNotBlockWritersAndCatchesUpFromHistory) {
  LevelDbStore::Options o;
  o.watch.tail_bytes = 1;  // only the newest commit stays in memory
  Open(o);
  Gate gate;
  Collector c;
  WatchCallback record = c.Callback();
  std::atomic<bool> first{true};
  Result<std::unique_ptr<Watch>> w = store_->WatchPrefix(
      "", 0,
      [&](std::span<const Event> events) {
        if (first.exchange(false)) gate.Wait();
        record(events);
      },
      c.OnError());
  ASSERT_TRUE(w.ok());
  CreateN("/a", 1);
  ASSERT_TRUE(gate.WaitEntered());
  CreateN("/b", 300);  // completes although the only watcher is stuck
  gate.Open();
  ASSERT_TRUE(c.WaitForEvents(301));
  EXPECT_EQ(c.revisions(), Range(1, 301));
}

TEST_F(LevelDbStoreWatchTest, AWatcherOvertakenByCompactionEndsWithGone) {
  LevelDbStore::Options o;
  o.watch.tail_bytes = 1;
  Open(o);
  Gate gate;
  Collector c;
  WatchCallback record = c.Callback();
  std::atomic<bool> first{true};
  Result<std::unique_ptr<Watch>> w = store_->WatchPrefix(
      "", 0,
      [&](std::span<const Event> events) {
        if (first.exchange(false)) gate.Wait();
        record(events);
      },
      c.OnError());
  ASSERT_TRUE(w.ok());
  CreateN("/a", 1);
  ASSERT_TRUE(gate.WaitEntered());
  CreateN("/b", 50);
  ASSERT_TRUE(store_->Compact(store_->CurrentRevision() - 1).ok());
  gate.Open();
  ASSERT_TRUE(c.WaitForError());
  EXPECT_EQ(c.error()->code(), StatusCode::kGone);
  EXPECT_EQ(c.revisions(), (std::vector<int64_t>{1}));
}

TEST_F(LevelDbStoreWatchTest, ClosingTheStoreEndsWatchesWithUnavailable) {
  Collector c;
  std::unique_ptr<Watch> w = MustWatch("", 0, &c);
  CreateN("/a", 3);
  ASSERT_TRUE(c.WaitForEvents(3));
  store_.reset();
  ASSERT_TRUE(c.WaitForError());
  EXPECT_EQ(c.error()->code(), StatusCode::kUnavailable);
  w.reset();  // a handle may outlive its store
}

TEST_F(LevelDbStoreWatchTest, AutoCompactionEndsWatchersThatFellOutOfTheWindow) {
  LevelDbStore::Options o;
  o.history_revisions = 20;
  o.watch.tail_bytes = 1;
  Open(o);
  CreateN("/a", 30);
  Collector c;
  EXPECT_EQ(store_->WatchPrefix("", 5, c.Callback()).status().code(), StatusCode::kGone);
  std::unique_ptr<Watch> w = MustWatch("", 10, &c);
  ASSERT_TRUE(c.WaitForEvents(20));
  EXPECT_EQ(c.revisions(), Range(11, 30));
}

}  // namespace
}  // namespace capstan::store
