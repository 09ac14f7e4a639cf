// `Expectations`: upstream's ControllerExpectations for controllers whose host cache lags the
// API. Before creating or deleting pods for a key the controller records what it expects to see;
// later reconciles compare the cache against it and skip scaling until every expected create
// (by pod name) and delete (by pod uid) is visible, or the record is older than its TTL.
// Partners: object_util.h. Tests: tests/plugins/controllers/kit/expectations_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_KIT_EXPECTATIONS_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_KIT_EXPECTATIONS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

// Thread-safe (one mutex). Keys are the controller's object keys ("ns/name").
class Expectations {
 public:
  explicit Expectations(Clock clock = SystemNow, int64_t ttl_seconds = 300)
      : clock_(std::move(clock)), ttl_seconds_(ttl_seconds) {}
  void set_clock(Clock clock) { clock_ = std::move(clock); }

  // Records a pod created under `key` (its server-assigned name).
  void ExpectCreated(const std::string& key, const std::string& pod_name);
  // Records a pod deleted under `key` (its uid).
  void ExpectDeleted(const std::string& key, const std::string& pod_uid);
  // Drops everything recorded for `key` (the owner is gone).
  void Forget(const std::string& key);

  // Updates the record of `key` from `pods` (every pod of the namespace in the cache, any state)
  // and returns true when nothing is outstanding: every expected name is present and every
  // expected uid is absent or terminating. A record past its TTL counts as satisfied.
  bool Satisfied(const std::string& key, const Json& pods);
  // How many creates/deletes are still outstanding (for tests and logs).
  size_t Pending(const std::string& key);

 private:
  struct Record {
    std::multiset<std::string> creates;
    std::set<std::string> deletes;
    int64_t since = 0;
  };
  Clock clock_;
  int64_t ttl_seconds_;
  std::mutex mu_;
  std::map<std::string, Record> records_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_KIT_EXPECTATIONS_H_
