// `Expectations` (see expectations.h).
#include "plugins/controllers/kit/expectations.h"

#include <iterator>
#include <utility>

namespace capstan::controllers {

void Expectations::ExpectCreated(const std::string& key, const std::string& pod_name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record& r = records_[key];
  if (r.creates.empty() && r.deletes.empty()) r.since = clock_();
  r.creates.insert(pod_name);
}

void Expectations::ExpectDeleted(const std::string& key, const std::string& pod_uid) {
  std::lock_guard<std::mutex> lock(mu_);
  Record& r = records_[key];
  if (r.creates.empty() && r.deletes.empty()) r.since = clock_();
  r.deletes.insert(pod_uid);
}

void Expectations::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  records_.erase(key);
}

bool Expectations::Satisfied(const std::string& key, const Json& pods) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return true;
  Record& r = it->second;
  if (pods.is_array()) {
    for (const Json& pod : pods) {
      r.creates.erase(Name(pod));
      if (Deleting(pod)) r.deletes.erase(Uid(pod));
    }
    // An expected deletion is observed once no cached pod carries the uid any more.
    std::set<std::string> present;
    for (const Json& pod : pods) present.insert(Uid(pod));
    for (auto d = r.deletes.begin(); d != r.deletes.end();) {
      d = present.count(*d) == 0 ? r.deletes.erase(d) : std::next(d);
    }
  }
  if ((r.creates.empty() && r.deletes.empty()) || clock_() - r.since > ttl_seconds_) {
    records_.erase(it);
    return true;
  }
  return false;
}

size_t Expectations::Pending(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(key);
  return it == records_.end() ? 0 : it->second.creates.size() + it->second.deletes.size();
}

}  // namespace capstan::controllers
