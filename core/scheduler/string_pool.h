// `StringPool`: one shared, immutable copy of the short strings that many nodes and pods repeat
// (label keys and values, taint keys and values, image names). The ABI views of every
// `NodeInfo`/`PodInfo` (pod_info.h) point at the pooled copies, so the per-node Filter/Score
// calls read bytes that stay in cache instead of missing on each node's own heap copy (the
// largest cost of the default plugins at 5,000 nodes). Tests in tests/core/scheduler/
// string_pool_test.cc.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace capstan::scheduler {

// Thread-safe (one mutex; interning happens per informer event, never on the cycle's per-node
// path). Pooled strings live as long as the pool; the pool stops growing at `max_entries`.
class StringPool {
 public:
  explicit StringPool(size_t max_entries = size_t{1} << 17) : max_entries_(max_entries) {}
  StringPool(const StringPool&) = delete;
  StringPool& operator=(const StringPool&) = delete;

  // The process-wide pool used by pod_info.cc; never destroyed.
  static StringPool& Global();

  // A view of the pooled copy of `s`, valid for the pool's life. When the pool is full and `s`
  // is not in it, returns `s` itself: the caller must then keep `s`'s storage alive.
  std::string_view Intern(std::string_view s);
  size_t size() const;

 private:
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::deque<std::string> storage_;  // stable addresses: elements are never moved or erased
  std::unordered_map<std::string_view, const std::string*> index_;
};

}  // namespace capstan::scheduler
