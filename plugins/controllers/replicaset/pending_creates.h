// `PendingCreates`: the pods a sync created that the host cache has not shown yet, per owner.
// While any is missing, the owner's generation is unchanged and the record is younger than its
// TTL, a sync could not scale (expectations) and would only recount status, so the controller
// skips listing and parsing every pod of the namespace — the cost that made a 10,000-replica
// scale-up quadratic, since each created pod's event requeues its owner. Checking costs one
// cache read per still-missing pod. Used by replica_set_controller.cc; tests in
// tests/plugins/controllers/replicaset/pending_creates_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_PENDING_CREATES_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_PENDING_CREATES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

// Thread-safe (one mutex; `in_cache` is called without it held).
class PendingCreates {
 public:
  explicit PendingCreates(Clock clock = SystemNow, int64_t ttl_seconds = 300)
      : clock_(std::move(clock)), ttl_seconds_(ttl_seconds) {}
  void set_clock(Clock clock) {
    std::lock_guard<std::mutex> lock(mu_);
    clock_ = std::move(clock);
  }

  // Records pod `name` created for `key` by a sync of the owner's `generation`.
  void Add(const std::string& key, int64_t generation, const std::string& name);
  void Forget(const std::string& key);

  // True while creates of `key` are outstanding: drops the names `in_cache(name)` confirms and
  // reports whether any is left. False (and the record is dropped) when the owner's generation
  // moved on or the record is older than the TTL: then a full sync must run.
  bool Outstanding(const std::string& key, int64_t generation,
                   const std::function<bool(const std::string& name)>& in_cache);

 private:
  struct Record {
    int64_t generation = 0;
    int64_t since = 0;
    std::vector<std::string> names;
  };
  std::mutex mu_;
  Clock clock_;
  const int64_t ttl_seconds_;
  std::map<std::string, Record> records_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_PENDING_CREATES_H_
