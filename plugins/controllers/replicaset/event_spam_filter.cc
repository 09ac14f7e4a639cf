// Per-object token buckets for recorded events (see event_spam_filter.h).
#include "plugins/controllers/replicaset/event_spam_filter.h"

#include <algorithm>

namespace capstan::controllers {

bool EventSpamFilter::Allow(const std::string& object) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = clock_();
  auto it = buckets_.find(object);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_objects_) EvictOne();
    it = buckets_.emplace(object, Bucket{burst_, now, now}).first;
  }
  Bucket& b = it->second;
  if (refill_seconds_ > 0 && now > b.refilled_at) {
    int64_t earned = (now - b.refilled_at) / refill_seconds_;
    if (earned > 0) {
      b.tokens = std::min(burst_, b.tokens + earned);
      b.refilled_at += earned * refill_seconds_;
    }
  }
  b.used_at = now;
  if (b.tokens <= 0) return false;
  if (b.tokens == burst_) b.refilled_at = now;  // a full bucket earns nothing while it waits
  --b.tokens;
  return true;
}

void EventSpamFilter::EvictOne() {
  auto oldest = buckets_.begin();
  for (auto it = buckets_.begin(); it != buckets_.end(); ++it) {
    if (it->second.used_at < oldest->second.used_at) oldest = it;
  }
  if (oldest != buckets_.end()) buckets_.erase(oldest);
}

}  // namespace capstan::controllers
