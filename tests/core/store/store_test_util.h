// Helpers for the store tests: a temporary directory and a thread-safe collector of watch
// callbacks with deadline-bounded waits. Used by tests/core/store/*_test.cc.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/store/store.h"

namespace capstan::store::testing {

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
