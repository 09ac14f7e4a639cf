// Helpers for the store tests: opening, raw LevelDB row access for damage tests, a temporary
// directory and a thread-safe collector of watch callbacks with deadline-bounded waits. Used by
// tests/core/store/*_test.cc.
#pragma once

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/store/leveldb_store.h"
#include "core/store/store.h"

namespace capstan::store::testing {

// Opens a store in `dir`, failing the test (and returning null) on error.
inline std::unique_ptr<LevelDbStore> MustOpen(const std::string& dir,
                                              LevelDbStore::Options options = {}) {
  Result<std::unique_ptr<LevelDbStore>> s = LevelDbStore::Open(dir, options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

// Writes one raw row with LevelDB directly; the store must be closed.
inline void PutRaw(const std::string& dir, const std::string& key, const std::string& value) {
  leveldb::DB* db = nullptr;
  leveldb::Options o;
  o.create_if_missing = true;
  ASSERT_TRUE(leveldb::DB::Open(o, dir, &db).ok());
  ASSERT_TRUE(db->Put(leveldb::WriteOptions(), key, value).ok());
  delete db;
}

// Deletes one raw row; the store must be closed.
inline void DeleteRaw(const std::string& dir, const std::string& key) {
  leveldb::DB* db = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), dir, &db).ok());
  ASSERT_TRUE(db->Delete(leveldb::WriteOptions(), key).ok());
  delete db;
}

// Counts raw rows whose key starts with `prefix`; the store must be closed.
inline int CountRaw(const std::string& dir, const std::string& prefix) {
  leveldb::DB* db = nullptr;
  if (!leveldb::DB::Open(leveldb::Options(), dir, &db).ok()) return -1;
  int n = 0;
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
  it.reset();
  delete db;
  return n;
}

inline std::string RevKey(char prefix, int64_t rev) {
  std::string k = {prefix, '/'};
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((rev >> (i * 8)) & 0xff));
  return k;
}

// A fresh directory under the test temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "capstan-store-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Records every delivered event and the final error of one watch.
class Collector {
 public:
  WatchCallback Callback() {
    return [this](std::span<const Event> events) {
      std::lock_guard lk(mu_);
      batches_++;
      events_.insert(events_.end(), events.begin(), events.end());
      cv_.notify_all();
    };
  }
  WatchErrorCallback OnError() {
    return [this](const Status& status) {
      std::lock_guard lk(mu_);
      error_ = status;
      cv_.notify_all();
    };
  }

  // Waits up to 30 s for `pred` (called under the lock) to hold; returns whether it did.
  bool WaitUntil(const std::function<bool(const std::vector<Event>&)>& pred) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(30), [&] { return pred(events_); });
  }
  bool WaitForEvents(size_t n) {
    return WaitUntil([n](const std::vector<Event>& e) { return e.size() >= n; });
  }
  bool WaitForError() {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(30), [&] { return error_.has_value(); });
  }

  std::vector<Event> events() const {
    std::lock_guard lk(mu_);
    return events_;
  }
  std::vector<int64_t> revisions() const {
    std::lock_guard lk(mu_);
    std::vector<int64_t> revs;
    for (const Event& e : events_) revs.push_back(e.kv.mod_revision);
    return revs;
  }
  std::optional<Status> error() const {
    std::lock_guard lk(mu_);
    return error_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
  size_t batches_ = 0;
  std::optional<Status> error_;
};

}  // namespace capstan::store::testing
