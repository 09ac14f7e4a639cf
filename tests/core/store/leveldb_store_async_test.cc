// Tests for the asynchronous writes of core/store/leveldb_store.h (CreateAsync, UpdateAsync,
// DeleteAsync): same outcomes as the synchronous calls, commit-order completion, owned copies of
// the arguments, chaining from a callback, no self-deadlock, and draining on close.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "core/store/leveldb_store.h"
#include "tests/core/store/store_test_util.h"

namespace capstan::store {
namespace {

using testing::MustOpen;
using testing::TempDir;

// Collects async results in completion order.
class Results {
 public:
  WriteCallback Callback() {
    return [this](Result<KeyValue> r) {
      std::lock_guard lk(mu_);
      results_.push_back(std::move(r));
      cv_.notify_all();
    };
  }
  bool WaitFor(size_t n) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(30), [&] { return results_.size() >= n; });
  }
  std::vector<Result<KeyValue>> Take() {
    std::lock_guard lk(mu_);
    return std::move(results_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Result<KeyValue>> results_;
};

TEST(LevelDbStoreAsyncTest, AsyncWritesHaveTheOutcomesOfSynchronousOnesInCommitOrder) {
  TempDir dir;
  std::unique_ptr<LevelDbStore> store = MustOpen(dir.path());
  Results results;
  {
    // Temporaries: the store must copy key and value before returning.
    std::string key = "/a", value = "one";
    store->CreateAsync(key, value, results.Callback());
    key = "/x";
    value = "garbage";
  }
  store->CreateAsync("/a", "dup", results.Callback());
  store->UpdateAsync("/a", "two", 1, results.Callback());
  store->UpdateAsync("/a", "stale", 1, results.Callback());
  store->DeleteAsync("/missing", 0, results.Callback());
  store->DeleteAsync("/a", 0, results.Callback());
  ASSERT_TRUE(results.WaitFor(6));
  std::vector<Result<KeyValue>> r = results.Take();
  ASSERT_TRUE(r[0].ok());
  EXPECT_EQ(r[0]->key, "/a");
  EXPECT_EQ(r[0]->value, "one");
  EXPECT_EQ(r[0]->mod_revision, 1);
  EXPECT_EQ(r[1].status().code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(r[2].ok());
  EXPECT_EQ(r[2]->mod_revision, 2);
  EXPECT_EQ(r[3].status().code(), StatusCode::kConflict);
  EXPECT_EQ(r[4].status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(r[5].ok());
  EXPECT_EQ(r[5]->value, "two");
  EXPECT_EQ(store->CurrentRevision(), 3);
  EXPECT_EQ(store->Get("/x").status().code(), StatusCode::kNotFound);
}

TEST(LevelDbStoreAsyncTest, ACallbackMayIssueTheNextAsyncWrite) {
  TempDir dir;
  std::unique_ptr<LevelDbStore> store = MustOpen(dir.path());
  Results results;
  std::function<void(int)> chain = [&](int i) {
    store->CreateAsync("/k" + std::to_string(i), "v", [&, i](Result<KeyValue> r) {
      bool ok = r.ok();
      results.Callback()(std::move(r));
      if (ok && i < 9) chain(i + 1);
    });
  };
  chain(0);
  ASSERT_TRUE(results.WaitFor(10));
  for (const Result<KeyValue>& r : results.Take()) EXPECT_TRUE(r.ok());
  EXPECT_EQ(store->CurrentRevision(), 10);
}

TEST(LevelDbStoreAsyncTest, ASynchronousWriteFromACallbackFailsInsteadOfDeadlocking) {
  TempDir dir;
  std::unique_ptr<LevelDbStore> store = MustOpen(dir.path());
  Results results;
  store->CreateAsync("/a", "v", [&](Result<KeyValue> r) {
    ASSERT_TRUE(r.ok());
    results.Callback()(store->Create("/b", "v"));
  });
  ASSERT_TRUE(results.WaitFor(1));
  EXPECT_EQ(results.Take()[0].status().code(), StatusCode::kInternal);
  EXPECT_TRUE(store->Create("/b", "v").ok());
}

TEST(LevelDbStoreAsyncTest, ClosingTheStoreFinishesEveryQueuedAsyncWriteDurably) {
  TempDir dir;
  Results results;
  {
    std::unique_ptr<LevelDbStore> store = MustOpen(dir.path());
    for (int i = 0; i < 200; ++i) {
      store->CreateAsync("/k" + std::to_string(i), "v", results.Callback());
    }
  }
  std::vector<Result<KeyValue>> r = results.Take();
  ASSERT_EQ(r.size(), 200u);
  for (const Result<KeyValue>& x : r) EXPECT_TRUE(x.ok()) << x.status().ToString();
  std::unique_ptr<LevelDbStore> reopened = MustOpen(dir.path());
  EXPECT_EQ(reopened->CurrentRevision(), 200);
  EXPECT_EQ(reopened->List({})->items.size(), 200u);
}

}  // namespace
}  // namespace capstan::store
