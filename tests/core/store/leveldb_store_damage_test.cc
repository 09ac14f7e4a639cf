// Tests for how core/store/leveldb_store*.cc handle damage: corrupt or missing rows, foreign or
// broken directories, a locked directory, bad options and failing syncs. Each reports a Status
// (kInternal, kUnavailable, kInvalid), never a crash.
#include <gtest/gtest.h>
#include <leveldb/env.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/store/leveldb_store.h"
#include "tests/core/store/store_test_util.h"

namespace capstan::store {
namespace {

using testing::CountRaw;
using testing::DeleteRaw;
using testing::MustOpen;
using testing::PutRaw;
using testing::RevKey;
using testing::TempDir;

ListOptions At(int64_t revision) {
  ListOptions o;
  o.revision = revision;
  return o;
}

LevelDbStore::Options WithMaxBatch(size_t max_batch) {
  LevelDbStore::Options o;
  o.max_batch = max_batch;
  return o;
}

LevelDbStore::Options WithHistory(int64_t revisions) {
  LevelDbStore::Options o;
  o.history_revisions = revisions;
  return o;
}

class LevelDbStoreDamageTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = MustOpen(dir_.path()); }

  TempDir dir_;
  std::unique_ptr<LevelDbStore> store_;
};

TEST_F(LevelDbStoreDamageTest, AMissingValueRowIsAnInternalError) {
  ASSERT_TRUE(store_->Create("/a", "v").ok());
  ASSERT_TRUE(store_->Create("/b", "v").ok());
  store_.reset();
  DeleteRaw(dir_.path(), RevKey('v', 1));
  store_ = MustOpen(dir_.path());
  EXPECT_EQ(store_->Get("/a").status().code(), StatusCode::kInternal);
  EXPECT_EQ(store_->List({}).status().code(), StatusCode::kInternal);
  EXPECT_EQ(store_->Delete("/a", 0).status().code(), StatusCode::kInternal);
  EXPECT_TRUE(store_->Get("/b").ok());
}

TEST_F(LevelDbStoreDamageTest, ACorruptValueRowIsAnInternalErrorAndOtherKeysStillWork) {
  ASSERT_TRUE(store_->Create("/good", "v").ok());
  ASSERT_TRUE(store_->Create("/bad", "v").ok());
  store_.reset();
  PutRaw(dir_.path(), "k//bad", "\x07garbage");
  store_ = MustOpen(dir_.path());
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->Get("/bad").status().code(), StatusCode::kInternal);
  EXPECT_EQ(store_->List({}).status().code(), StatusCode::kInternal);
  EXPECT_EQ(store_->Update("/bad", "x", 0).status().code(), StatusCode::kInternal);
  EXPECT_EQ(store_->Delete("/bad", 0).status().code(), StatusCode::kInternal);
  EXPECT_TRUE(store_->Get("/good").ok());
  EXPECT_TRUE(store_->Update("/good", "w", 0).ok());
}

TEST_F(LevelDbStoreDamageTest, ACorruptHistoryRowFailsOldListsAndReplayingWatches) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store_->Create("/k" + std::to_string(i), "v").ok());
  store_.reset();
  PutRaw(dir_.path(), RevKey('r', 3), "junk");
  store_ = MustOpen(dir_.path());
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->List(At(1)).status().code(), StatusCode::kInternal);
  EXPECT_TRUE(store_->List(At(3)).ok());
  testing::Collector c;
  Result<std::unique_ptr<Watch>> w = store_->WatchPrefix("", 0, c.Callback(), c.OnError());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(c.WaitForError());
  EXPECT_EQ(c.error()->code(), StatusCode::kInternal);
  EXPECT_EQ(c.revisions(), (std::vector<int64_t>{1, 2}));
}

// A file system whose syncs fail while `fail_syncs` is set.
class FaultyEnv : public leveldb::EnvWrapper {
 public:
  FaultyEnv() : leveldb::EnvWrapper(leveldb::Env::Default()) {}

  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** out) override {
    leveldb::Status s = target()->NewWritableFile(name, out);
    if (s.ok()) *out = new File(*out, this);
    return s;
  }

  std::atomic<bool> fail_syncs{false};

 private:
  class File : public leveldb::WritableFile {
   public:
    File(leveldb::WritableFile* base, FaultyEnv* env) : base_(base), env_(env) {}
    leveldb::Status Append(const leveldb::Slice& data) override { return base_->Append(data); }
    leveldb::Status Close() override { return base_->Close(); }
    leveldb::Status Flush() override { return base_->Flush(); }
    leveldb::Status Sync() override {
      if (env_->fail_syncs) return leveldb::Status::IOError("injected sync failure");
      return base_->Sync();
    }

   private:
    std::unique_ptr<leveldb::WritableFile> base_;
    FaultyEnv* env_;
  };
};

TEST(LevelDbStoreFaultTest, AFailedSyncFailsTheBatchAndEveryLaterWriteUntilReopen) {
  TempDir dir;
  FaultyEnv env;
  LevelDbStore::Options o;
  o.env = &env;
  std::unique_ptr<LevelDbStore> store = MustOpen(dir.path(), o);
  ASSERT_TRUE(store->Create("/a", "v").ok());
  env.fail_syncs = true;
  Result<KeyValue> failed = store->Create("/b", "v");
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find("injected sync failure"), std::string::npos);
  env.fail_syncs = false;
  // The outcome on disk is unknown, so the store refuses writes but still serves reads.
  EXPECT_EQ(store->Create("/c", "v").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Compact(1).code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->CurrentRevision(), 1);
  EXPECT_TRUE(store->Get("/a").ok());
  store.reset();
  store = MustOpen(dir.path());
  ASSERT_NE(store, nullptr);
  const int64_t rev = store->CurrentRevision();
  EXPECT_TRUE(rev == 1 || rev == 2) << rev;
  Result<KeyValue> c = store->Create("/c", "v");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->mod_revision, rev + 1);
}

struct BadOpenCase {
  const char* name;
  std::string key;
  std::string value;
};

TEST(LevelDbStoreOpenTest, DamagedOrForeignDirectoriesFailToOpenWithInternalError) {
  std::vector<BadOpenCase> cases = {
      {"foreign database", "some-key", "x"},
      {"unknown format", "m/format", "capstan-store-99"},
      {"garbage current revision", "m/current", "\xff"},
      {"compacted above current", "m/compacted", "\x09"},
      {"current revision without history", "m/current", "\x05"},
  };
  for (const BadOpenCase& c : cases) {
    TempDir dir;
    if (std::string(c.name) != "foreign database") {
      ASSERT_NE(MustOpen(dir.path()), nullptr) << c.name;
    }
    PutRaw(dir.path(), c.key, c.value);
    Result<std::unique_ptr<LevelDbStore>> s = LevelDbStore::Open(dir.path());
    EXPECT_EQ(s.status().code(), StatusCode::kInternal) << c.name << ": " << s.status().ToString();
  }
}

TEST(LevelDbStoreOpenTest, ASecondOpenOfTheSameDirectoryIsUnavailable) {
  TempDir dir;
  std::unique_ptr<LevelDbStore> first = MustOpen(dir.path());
  Result<std::unique_ptr<LevelDbStore>> second = LevelDbStore::Open(dir.path());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable) << second.status().ToString();
}

TEST(LevelDbStoreOpenTest, InvalidOptionsAreRejected) {
  TempDir dir;
  EXPECT_EQ(LevelDbStore::Open(dir.path(), WithMaxBatch(0)).status().code(), StatusCode::kInvalid);
  EXPECT_EQ(LevelDbStore::Open(dir.path(), WithHistory(-1)).status().code(), StatusCode::kInvalid);
  EXPECT_EQ(LevelDbStore::Open("").status().code(), StatusCode::kInvalid);
}

TEST(LevelDbStoreOpenTest, OpenCreatesMissingParentDirectories) {
  TempDir dir;
  std::unique_ptr<LevelDbStore> s = MustOpen(dir.Sub("a/b/c"));
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->Create("/x", "y").ok());
}

}  // namespace
}  // namespace capstan::store
