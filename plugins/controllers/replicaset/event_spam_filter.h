// `EventSpamFilter`: client-go's EventSourceObjectSpamFilter for the events a controller records
// about one object — a token bucket per object (burst 25, one token back every 5 minutes), so a
// ReplicaSet creating 10,000 pods writes 25 `SuccessfulCreate` events, not 10,000. Used by
// replica_set_controller.cc; tests in tests/plugins/controllers/replicaset/
// event_spam_filter_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_EVENT_SPAM_FILTER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_EVENT_SPAM_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

// Thread-safe (one mutex). Remembers at most `max_objects` objects (upstream's LRU of 4096): past
// that the least recently used bucket is forgotten (that object starts again with a full burst).
class EventSpamFilter {
 public:
  explicit EventSpamFilter(Clock clock = SystemNow, int64_t burst = 25,
                           int64_t refill_seconds = 300, size_t max_objects = 4096)
      : clock_(std::move(clock)),
        burst_(burst),
        refill_seconds_(refill_seconds),
        max_objects_(max_objects) {}
  void set_clock(Clock clock) {
    std::lock_guard<std::mutex> lock(mu_);
    clock_ = std::move(clock);
  }

  // True when one more event about `object` (its uid) may be written now; takes a token.
  bool Allow(const std::string& object);

 private:
  struct Bucket {
    int64_t tokens = 0;
    int64_t refilled_at = 0;  // unix seconds of the last whole token added (or the first use)
    int64_t used_at = 0;
  };
  void EvictOne();  // requires mu_

  std::mutex mu_;
  Clock clock_;
  const int64_t burst_;
  const int64_t refill_seconds_;
  const size_t max_objects_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_EVENT_SPAM_FILTER_H_
