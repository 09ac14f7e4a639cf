// Tests for core/store/leveldb_store*.cc: CRUD, CAS, revisions, lists (also at old revisions),
// compaction, restart recovery and concurrency. Watches, async writes and damage have their own
// leveldb_store_*_test.cc files.
#include "core/store/leveldb_store.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/core/store/store_test_util.h"

namespace capstan::store {
namespace {

using testing::CountRaw;
using testing::MustOpen;
using testing::TempDir;

ListOptions Opts(std::string prefix, std::string start_after = "", int64_t limit = 0,
                 int64_t revision = 0) {
  ListOptions o;
  o.prefix = std::move(prefix);
  o.start_after = std::move(start_after);
  o.limit = limit;
  o.revision = revision;
  return o;
}
ListOptions At(int64_t revision) { return Opts("", "", 0, revision); }

LevelDbStore::Options WithHistory(int64_t revisions) {
  LevelDbStore::Options o;
  o.history_revisions = revisions;
  return o;
}

std::vector<std::string> Keys(const ListResult& r) {
  std::vector<std::string> keys;
  for (const KeyValue& kv : r.items) keys.push_back(kv.key);
  return keys;
}

class LevelDbStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = MustOpen(dir_.path()); }
  void CheckListAt(int64_t rev, const std::map<std::string, std::string>& state);
  void Reopen(LevelDbStore::Options options = {}) {
    store_.reset();
    store_ = MustOpen(dir_.path(), options);
  }

  TempDir dir_;
  std::unique_ptr<LevelDbStore> store_;
};

TEST_F(LevelDbStoreTest, EmptyStoreStartsAtRevisionZero) {
  EXPECT_EQ(store_->CurrentRevision(), 0);
  EXPECT_EQ(store_->CompactedRevision(), 0);
  EXPECT_EQ(store_->Get("a").status().code(), StatusCode::kNotFound);
  Result<ListResult> all = store_->List({});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->items.empty());
  EXPECT_EQ(all->revision, 0);
}

TEST_F(LevelDbStoreTest, CreateThenGetReturnsTheValueWithItsRevisions) {
  Result<KeyValue> created = store_->Create("/a", "one");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->create_revision, 1);
  EXPECT_EQ(created->mod_revision, 1);
  Result<KeyValue> got = store_->Get("/a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->key, "/a");
  EXPECT_EQ(got->value, "one");
  EXPECT_EQ(got->create_revision, 1);
  EXPECT_EQ(got->mod_revision, 1);
  EXPECT_EQ(store_->CurrentRevision(), 1);
}

TEST_F(LevelDbStoreTest, CreateOfALiveKeyFailsWithAlreadyExists) {
  ASSERT_TRUE(store_->Create("/a", "one").ok());
  EXPECT_EQ(store_->Create("/a", "two").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->Get("/a")->value, "one");
  EXPECT_EQ(store_->CurrentRevision(), 1);
}

TEST_F(LevelDbStoreTest, UpdateKeepsCreateRevisionAndHonorsCompareAndSwap) {
  ASSERT_TRUE(store_->Create("/a", "one").ok());
  Result<KeyValue> up = store_->Update("/a", "two", 1);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->create_revision, 1);
  EXPECT_EQ(up->mod_revision, 2);
  Result<KeyValue> stale = store_->Update("/a", "three", 1);
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict);
  EXPECT_EQ(store_->Get("/a")->value, "two");
  Result<KeyValue> any = store_->Update("/a", "four", 0);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->mod_revision, 3);
}

TEST_F(LevelDbStoreTest, UpdateAndDeleteOfAMissingKeyFailWithNotFound) {
  EXPECT_EQ(store_->Update("/nope", "x", 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("/nope", 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CurrentRevision(), 0);
}

TEST_F(LevelDbStoreTest, DeleteReturnsTheDeletedValueAndHonorsCompareAndSwap) {
  ASSERT_TRUE(store_->Create("/a", "one").ok());
  EXPECT_EQ(store_->Delete("/a", 7).status().code(), StatusCode::kConflict);
  Result<KeyValue> del = store_->Delete("/a", 1);
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->value, "one");
  EXPECT_EQ(del->mod_revision, 1);
  EXPECT_EQ(store_->CurrentRevision(), 2);
  EXPECT_EQ(store_->Get("/a").status().code(), StatusCode::kNotFound);
  // A re-created key starts a new life.
  Result<KeyValue> again = store_->Create("/a", "new");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->create_revision, 3);
}

TEST_F(LevelDbStoreTest, OnlySuccessfulWritesAdvanceTheRevisionByOne) {
  int64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    std::string key = "/k" + std::to_string(i % 5);
    Result<KeyValue> r = (i < 5) ? store_->Create(key, "v") : store_->Update(key, "v", 0);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->mod_revision, last + 1);
    last = r->mod_revision;
    EXPECT_FALSE(store_->Create(key, "dup").ok());
    EXPECT_EQ(store_->CurrentRevision(), last);
  }
  LevelDbStore::Stats stats = store_->GetStats();
  EXPECT_EQ(stats.writes, 20);
  EXPECT_EQ(stats.failed_writes, 20);
}

struct ListCase {
  const char* name;
  ListOptions options;
  std::vector<std::string> keys;
  bool more;
};

TEST_F(LevelDbStoreTest, ListHonorsPrefixStartAfterAndLimit) {
  for (const char* k : {"/a/1", "/a/2", "/a/3", "/ab", "/b/1", "/a/", "/"}) {
    ASSERT_TRUE(store_->Create(k, k).ok());
  }
  std::vector<ListCase> cases = {
      {"everything", {}, {"/", "/a/", "/a/1", "/a/2", "/a/3", "/ab", "/b/1"}, false},
      {"prefix", Opts("/a/"), {"/a/", "/a/1", "/a/2", "/a/3"}, false},
      {"prefix without match", Opts("/c"), {}, false},
      {"limit", Opts("/a/", "", 2), {"/a/", "/a/1"}, true},
      {"limit equal to count", Opts("/a/", "", 4), {"/a/", "/a/1", "/a/2", "/a/3"}, false},
      {"start after", Opts("/a/", "/a/1"), {"/a/2", "/a/3"}, false},
      {"start after and limit", Opts("/a/", "/a/1", 1), {"/a/2"}, true},
      {"start after the last", Opts("/a/", "/a/3"), {}, false},
      {"start after before prefix", Opts("/b", "/a"), {"/b/1"}, false},
  };
  for (const ListCase& c : cases) {
    Result<ListResult> r = store_->List(c.options);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status().ToString();
    EXPECT_EQ(Keys(*r), c.keys) << c.name;
    EXPECT_EQ(r->more, c.more) << c.name;
    EXPECT_EQ(r->revision, 7) << c.name;
  }
  EXPECT_EQ(store_->List(Opts("", "", -1)).status().code(), StatusCode::kInvalid);
}

TEST_F(LevelDbStoreTest, ListAtEveryOlderRevisionMatchesThatRevisionsState) {
  // A model of the state after each revision, checked against List at that revision.
  std::map<int64_t, std::map<std::string, std::string>> model;
  std::map<std::string, std::string> now;
  auto record = [&](const Result<KeyValue>& r) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    model[store_->CurrentRevision()] = now;
  };
  for (int i = 0; i < 6; ++i) {
    std::string k = "/p/" + std::to_string(i);
    now[k] = "v0";
    record(store_->Create(k, "v0"));
  }
  now["/q"] = "other";
  record(store_->Create("/q", "other"));
  now["/p/2"] = "v1";
  record(store_->Update("/p/2", "v1", 0));
  now.erase("/p/0");
  record(store_->Delete("/p/0", 0));
  now.erase("/p/4");
  record(store_->Delete("/p/4", 0));
  now["/p/0"] = "again";
  record(store_->Create("/p/0", "again"));
  now["/p/2"] = "v2";
  record(store_->Update("/p/2", "v2", 0));
  now["/p/9"] = "late";
  record(store_->Create("/p/9", "late"));

  auto check = [&](int64_t compacted) {
    for (const auto& [rev, state] : model) {
      if (rev < compacted) {
        EXPECT_EQ(store_->List(At(rev)).status().code(), StatusCode::kGone) << rev;
        continue;
      }
      CheckListAt(rev, state);
    }
  };
  check(0);
  // Compaction keeps every value a later revision can still see, also across a restart.
  ASSERT_TRUE(store_->Compact(8).ok());
  check(8);
  Reopen();
  check(8);
}

void LevelDbStoreTest::CheckListAt(int64_t rev, const std::map<std::string, std::string>& state) {
  for (int64_t limit : {0, 2}) {
    ListOptions o = Opts("/p/", "/p/0", limit, rev);
    Result<ListResult> r = store_->List(o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::pair<std::string, std::string>> want;
    for (const auto& [k, v] : state) {
      if (k.starts_with("/p/") && k > "/p/0") want.emplace_back(k, v);
    }
    bool more = limit > 0 && std::ssize(want) > limit;
    if (more) want.resize(static_cast<size_t>(limit));
    std::vector<std::pair<std::string, std::string>> got;
    for (const KeyValue& kv : r->items) {
      got.emplace_back(kv.key, kv.value);
      EXPECT_LE(kv.mod_revision, rev);
    }
    EXPECT_EQ(got, want) << "revision " << rev << " limit " << limit;
    EXPECT_EQ(r->more, more) << "revision " << rev;
    EXPECT_EQ(r->revision, rev);
  }
}

TEST_F(LevelDbStoreTest, ListRejectsCompactedAndFutureRevisions) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->Create("/k" + std::to_string(i), "v").ok());
  ASSERT_TRUE(store_->Compact(3).ok());
  EXPECT_EQ(store_->CompactedRevision(), 3);
  EXPECT_EQ(store_->List(At(2)).status().code(), StatusCode::kGone);
  Result<ListResult> at3 = store_->List(At(3));  // the compacted revision itself is known
  ASSERT_TRUE(at3.ok()) << at3.status().ToString();
  EXPECT_EQ(at3->items.size(), 3u);
  EXPECT_EQ(store_->List(At(6)).status().code(), StatusCode::kInvalid);
  Result<ListResult> at4 = store_->List(At(4));
  ASSERT_TRUE(at4.ok());
  EXPECT_EQ(at4->items.size(), 4u);
  // Compaction keeps current values.
  EXPECT_EQ(store_->List({})->items.size(), 5u);
}

TEST_F(LevelDbStoreTest, CompactIsIdempotentAndRejectsTheFuture) {
  ASSERT_TRUE(store_->Create("/a", "v").ok());
  ASSERT_TRUE(store_->Create("/b", "v").ok());
  EXPECT_EQ(store_->Compact(3).code(), StatusCode::kInvalid);
  EXPECT_TRUE(store_->Compact(2).ok());
  EXPECT_TRUE(store_->Compact(1).ok());
  EXPECT_EQ(store_->CompactedRevision(), 2);
  ASSERT_TRUE(store_->Create("/c", "v").ok());
  EXPECT_EQ(store_->CurrentRevision(), 3);
}

TEST_F(LevelDbStoreTest, AutoCompactionKeepsTheConfiguredWindow) {
  Reopen(WithHistory(10));
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(store_->Create("/k" + std::to_string(i), "v").ok());
  EXPECT_EQ(store_->CompactedRevision(), 40);
  EXPECT_TRUE(store_->List(At(40)).ok());
  EXPECT_EQ(store_->List(At(39)).status().code(), StatusCode::kGone);
}

TEST_F(LevelDbStoreTest, ReopenRecoversRevisionsValuesAndHistory) {
  ASSERT_TRUE(store_->Create("/a", "1").ok());
  ASSERT_TRUE(store_->Create("/b", "2").ok());
  ASSERT_TRUE(store_->Update("/a", "3", 1).ok());
  ASSERT_TRUE(store_->Delete("/b", 0).ok());
  ASSERT_TRUE(store_->Create("/c", "5").ok());
  ASSERT_TRUE(store_->Compact(1).ok());
  Reopen();
  EXPECT_EQ(store_->CurrentRevision(), 5);
  EXPECT_EQ(store_->CompactedRevision(), 1);
  Result<KeyValue> a = store_->Get("/a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->value, "3");
  EXPECT_EQ(a->create_revision, 1);
  EXPECT_EQ(a->mod_revision, 3);
  EXPECT_EQ(store_->Get("/b").status().code(), StatusCode::kNotFound);
  Result<ListResult> at2 = store_->List(At(2));
  ASSERT_TRUE(at2.ok());
  EXPECT_EQ(Keys(*at2), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(at2->items[0].value, "1");

  testing::Collector c;
  Result<std::unique_ptr<Watch>> w = store_->WatchPrefix("", 1, c.Callback(), c.OnError());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(c.WaitForEvents(4));
  EXPECT_EQ(c.revisions(), (std::vector<int64_t>{2, 3, 4, 5}));
  // The update at 3 replays with its previous value, although that was written at 1.
  std::vector<Event> replayed = c.events();
  ASSERT_TRUE(replayed[1].prev.has_value());
  EXPECT_EQ(replayed[1].prev->value, "1");
  EXPECT_EQ(replayed[1].prev->mod_revision, 1);
  EXPECT_EQ(replayed[2].type, EventType::kDelete);
  EXPECT_EQ(replayed[2].prev->value, "2");
  // New writes continue the revision sequence.
  Result<KeyValue> d = store_->Create("/d", "6");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->mod_revision, 6);
  ASSERT_TRUE(c.WaitForEvents(5));
}

TEST_F(LevelDbStoreTest, CompactionDeletesSupersededValuesAndKeepsLiveOnes) {
  ASSERT_TRUE(store_->Create("/a", "a1").ok());  // 1
  ASSERT_TRUE(store_->Create("/b", "b1").ok());  // 2
  for (int i = 2; i <= 5; ++i) {
    ASSERT_TRUE(store_->Update("/a", "a" + std::to_string(i), 0).ok());  // 3..6
  }
  ASSERT_TRUE(store_->Create("/c", "c1").ok());  // 7
  ASSERT_TRUE(store_->Delete("/c", 0).ok());     // 8
  ASSERT_TRUE(store_->Compact(4).ok());
  store_.reset();
  // The values of revisions 1 and 3 were superseded at or below 4; the rest is still visible.
  EXPECT_EQ(CountRaw(dir_.path(), "v/"), 5);  // /b@2 /a@4 /a@5 /a@6 /c@7
  EXPECT_EQ(CountRaw(dir_.path(), "r/"), 4);  // events 5..8
  store_ = MustOpen(dir_.path());
  ASSERT_TRUE(store_->Compact(8).ok());
  store_.reset();
  EXPECT_EQ(CountRaw(dir_.path(), "v/"), 2);  // the live /a@6 and /b@2
  EXPECT_EQ(CountRaw(dir_.path(), "r/"), 0);
  EXPECT_EQ(CountRaw(dir_.path(), "k/"), 2);
  store_ = MustOpen(dir_.path());
  EXPECT_EQ(store_->Get("/a")->value, "a5");
  EXPECT_EQ(store_->Get("/b")->value, "b1");
  EXPECT_EQ(store_->Get("/c").status().code(), StatusCode::kNotFound);
}

TEST_F(LevelDbStoreTest, ConcurrentWritersAreAllDurableWithUniqueDenseRevisions) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 40;
  std::vector<std::vector<int64_t>> revs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Result<KeyValue> r =
            store_->Create("/t" + std::to_string(t) + "/" + std::to_string(i), "v");
        if (r.ok()) revs[t].push_back(r->mod_revision);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<int64_t> all;
  for (const auto& v : revs) {
    EXPECT_EQ(v.size(), static_cast<size_t>(kPerThread));
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    all.insert(v.begin(), v.end());
  }
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kPerThread);
  LevelDbStore::Stats stats = store_->GetStats();
  EXPECT_GE(stats.commits, 1);
  EXPECT_LE(stats.commits, kThreads * kPerThread);

  Reopen();
  EXPECT_EQ(store_->CurrentRevision(), kThreads * kPerThread);
  EXPECT_EQ(store_->List({})->items.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_F(LevelDbStoreTest, CompareAndSwapLoopsUnderContentionLoseNoIncrement) {
  ASSERT_TRUE(store_->Create("/counter", "0").ok());
  constexpr int kThreads = 8;
  constexpr int kIncrements = 25;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements;) {
        Result<KeyValue> cur = store_->Get("/counter");
        if (!cur.ok()) return;
        std::string next = std::to_string(std::stoi(cur->value) + 1);
        Result<KeyValue> up = store_->Update("/counter", next, cur->mod_revision);
        if (up.ok()) {
          ++i;
        } else if (up.status().code() == StatusCode::kConflict) {
          ++conflicts;
        } else {
          return;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(store_->Get("/counter")->value, std::to_string(kThreads * kIncrements));
  EXPECT_EQ(store_->CurrentRevision(), 1 + kThreads * kIncrements);
}

}  // namespace
}  // namespace capstan::store
