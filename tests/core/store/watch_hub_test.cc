// Unit tests for core/store/watch_hub.h with a fake history reader: tail vs reader delivery,
// turn size, reader errors, compaction and shutdown. Store-level watch tests are in
// leveldb_store_watch_test.cc.
#include "core/store/watch_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "tests/core/store/store_test_util.h"

namespace capstan::store {
namespace {

using testing::Collector;

Event Put(int64_t rev, std::string key) {
  Event e;
  e.kv = KeyValue{std::move(key), "v", rev, rev};
  return e;
}

// Serves revisions 1..N from memory, recording each call.
class FakeHistory {
 public:
  explicit FakeHistory(int64_t n) {
    for (int64_t r = 1; r <= n; ++r) events_.push_back(Put(r, "/k" + std::to_string(r)));
  }
  HistoryReader Reader() {
    return [this](int64_t from, int64_t to, size_t max, std::vector<Event>* out) {
      calls_++;
      if (!error_.ok()) return error_;
      for (int64_t r = from; r <= to && out->size() < max; ++r) out->push_back(events_[r - 1]);
      return Status::Ok();
    };
  }
  void Fail(Status s) { error_ = std::move(s); }
  int calls() const { return calls_.load(); }

 private:
  std::vector<Event> events_;
  std::atomic<int> calls_{0};
  Status error_;
};

TEST(WatchHubTest, PublishedEventsReachMatchingWatchersInOrder) {
  FakeHistory history(0);
  auto hub = WatchHub::Start(0, 0, history.Reader(), {});
  Collector all, some;
  auto w1 = hub->Add("", 0, all.Callback(), all.OnError());
  auto w2 = hub->Add("/k2", 0, some.Callback(), some.OnError());
  ASSERT_TRUE(w1.ok() && w2.ok());
  hub->Publish(std::make_shared<const std::vector<Event>>(
      std::vector<Event>{Put(1, "/k1"), Put(2, "/k2"), Put(3, "/k3")}));
  hub->Publish(std::make_shared<const std::vector<Event>>(std::vector<Event>{Put(4, "/k20")}));
  ASSERT_TRUE(all.WaitForEvents(4));
  ASSERT_TRUE(some.WaitForEvents(2));
  EXPECT_EQ(all.revisions(), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(some.revisions(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(history.calls(), 0);
  hub->Stop();
}

TEST(WatchHubTest, AWatcherBehindTheTailReadsHistoryInTurnsOfBoundedSize) {
  FakeHistory history(100);
  WatchHub::Options o;
  o.max_events_per_turn = 10;
  auto hub = WatchHub::Start(100, 0, history.Reader(), o);
  std::mutex mu;
  std::vector<size_t> sizes;
  Collector c;
  WatchCallback record = c.Callback();
  auto w = hub->Add(
      "", 0,
      [&](std::span<const Event> events) {
        {
          std::lock_guard lk(mu);
          sizes.push_back(events.size());
        }
        record(events);
      },
      nullptr);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(c.WaitForEvents(100));
  EXPECT_EQ(c.revisions().back(), 100);
  EXPECT_EQ(history.calls(), 10);
  std::lock_guard lk(mu);
  for (size_t s : sizes) EXPECT_LE(s, 10u);
}

TEST(WatchHubTest, AReaderErrorEndsTheWatchWithThatStatus) {
  FakeHistory history(5);
  history.Fail(InternalError("disk on fire"));
  auto hub = WatchHub::Start(5, 0, history.Reader(), {});
  Collector c;
  auto w = hub->Add("", 0, c.Callback(), c.OnError());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(c.WaitForError());
  EXPECT_EQ(c.error()->code(), StatusCode::kInternal);
  EXPECT_NE(c.error()->message().find("disk on fire"), std::string::npos);
  EXPECT_TRUE(c.events().empty());
  EXPECT_EQ(hub->WatcherCount(), 0u);
}

TEST(WatchHubTest, AddChecksRevisionsAndStopEndsWatchesWithUnavailable) {
  FakeHistory history(10);
  auto hub = WatchHub::Start(10, 0, history.Reader(), {});
  hub->SetCompacted(4);
  Collector c;
  EXPECT_EQ(hub->Add("", 3, c.Callback(), nullptr).status().code(), StatusCode::kGone);
  EXPECT_EQ(hub->Add("", -1, c.Callback(), nullptr).status().code(), StatusCode::kInvalid);
  EXPECT_EQ(hub->Add("", 4, nullptr, nullptr).status().code(), StatusCode::kInvalid);
  auto w = hub->Add("", 4, c.Callback(), c.OnError());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(c.WaitForEvents(6));
  hub->Stop();
  ASSERT_TRUE(c.error().has_value());
  EXPECT_EQ(c.error()->code(), StatusCode::kUnavailable);
  EXPECT_EQ(hub->Add("", 10, c.Callback(), nullptr).status().code(), StatusCode::kUnavailable);
  w->reset();
  EXPECT_EQ(hub->WatcherCount(), 0u);
}

}  // namespace
}  // namespace capstan::store
