// `PodChangeFilter`: remembers, per pod a ReplicaSet controls, what of it a sync reads (labels,
// owner references, deletion, phase, readiness), so that pod updates which change none of it
// (a binding, a new IP, container statuses) do not requeue the owner. Each requeue costs a list
// and parse of every pod of the namespace, and a scheduler binding 10,000 pods made that
// quadratic. Used by replica_set_controller.cc; tests in
// tests/plugins/controllers/replicaset/pod_change_filter_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_POD_CHANGE_FILTER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_POD_CHANGE_FILTER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "capstan/sdk/controller.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

// Thread-safe (one mutex).
class PodChangeFilter {
 public:
  // Called for every pod event with the owner key the event maps to ("" for none: an orphan or
  // another controller's pod). Returns false when the event can be dropped: a MODIFIED event
  // whose sync-relevant fields equal those last seen for the pod (this includes the host's
  // replay of a pod's previous version when its controller changed; the new version's event
  // carries the change). `*previous_owner` is set to the owner key last seen for the pod when it
  // differs from `owner_key`, so that the owner a pod left hears of it; "" otherwise.
  bool Relevant(const Json& pod, sdk::EventType type, const std::string& owner_key,
                std::string* previous_owner);

  size_t size() const;

 private:
  struct Seen {
    std::string owner_key;
    uint64_t fingerprint = 0;
  };
  static uint64_t Fingerprint(const Json& pod);

  mutable std::mutex mu_;
  std::unordered_map<std::string, Seen> seen_;  // pod uid -> last seen; guarded by mu_
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_POD_CHANGE_FILTER_H_
