// The shared string pool (string_pool.h).
#include "core/scheduler/string_pool.h"

namespace capstan::scheduler {

StringPool& StringPool::Global() {
  static StringPool* pool = new StringPool();
  return *pool;
}

std::string_view StringPool::Intern(std::string_view s) {
  std::lock_guard lock(mu_);
  auto it = index_.find(s);
  if (it != index_.end()) return *it->second;
  if (index_.size() >= max_entries_) return s;
  const std::string& stored = storage_.emplace_back(s);
  index_.emplace(std::string_view(stored), &stored);
  return stored;
}

size_t StringPool::size() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

}  // namespace capstan::scheduler
