// Created pods not yet in the cache, per owner (see pending_creates.h).
#include "plugins/controllers/replicaset/pending_creates.h"

#include <algorithm>

namespace capstan::controllers {

void PendingCreates::Add(const std::string& key, int64_t generation, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record& r = records_[key];
  if (r.names.empty() || r.generation != generation) {
    r.generation = generation;
    r.since = clock_();
    r.names.clear();
  }
  r.names.push_back(name);
}

void PendingCreates::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  records_.erase(key);
}

bool PendingCreates::Outstanding(const std::string& key, int64_t generation,
                                 const std::function<bool(const std::string&)>& in_cache) {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = records_.find(key);
    if (it == records_.end()) return false;
    if (it->second.generation != generation || clock_() - it->second.since > ttl_seconds_) {
      records_.erase(it);
      return false;
    }
    names = it->second.names;
  }
  std::vector<std::string> seen;
  for (const std::string& name : names) {
    if (in_cache(name)) seen.push_back(name);
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return false;
  std::vector<std::string>& left = it->second.names;
  for (const std::string& name : seen) {
    auto found = std::find(left.begin(), left.end(), name);
    if (found != left.end()) left.erase(found);
  }
  if (left.empty()) {
    records_.erase(it);
    return false;
  }
  return true;
}

}  // namespace capstan::controllers
