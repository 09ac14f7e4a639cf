// Dropping pod updates a ReplicaSet sync would not notice (see pod_change_filter.h).
#include "plugins/controllers/replicaset/pod_change_filter.h"

#include <functional>

namespace capstan::controllers {

uint64_t PodChangeFilter::Fingerprint(const Json& pod) {
  // Everything ClaimPods, IsPodActive, the replica status and expectations read of a pod,
  // appended into one string (separated by a byte JSON text never holds unescaped).
  std::string seen;
  for (const char* field : {"labels", "ownerReferences", "deletionTimestamp", "name"}) {
    if (const Json* v = sdk::json::FindPath(pod, {"metadata", field})) seen += sdk::json::Dump(*v);
    seen += '\x1f';
  }
  seen += GetStr(pod, {"status", "phase"});
  const Json* conditions = sdk::json::FindPath(pod, {"status", "conditions"});
  int ready = conditions != nullptr ? FindCondition(*conditions, "Ready") : -1;
  if (ready >= 0) {
    const Json& c = (*conditions)[static_cast<size_t>(ready)];
    seen += '\x1f' + GetStr(c, {"status"}) + '\x1f' + GetStr(c, {"lastTransitionTime"});
  }
  return std::hash<std::string>{}(seen);
}

bool PodChangeFilter::Relevant(const Json& pod, sdk::EventType type, const std::string& owner_key,
                               std::string* previous_owner) {
  previous_owner->clear();
  std::string uid = Uid(pod);
  if (uid.empty()) return true;
  uint64_t fingerprint = type == sdk::EventType::kDeleted ? 0 : Fingerprint(pod);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = seen_.find(uid);
  if (it != seen_.end()) {
    if (type == sdk::EventType::kModified && it->second.fingerprint == fingerprint) return false;
    if (it->second.owner_key != owner_key) *previous_owner = it->second.owner_key;
  }
  if (type == sdk::EventType::kDeleted || owner_key.empty()) {
    if (it != seen_.end()) seen_.erase(it);
  } else if (it != seen_.end()) {
    it->second = {owner_key, fingerprint};
  } else {
    seen_.emplace(std::move(uid), Seen{owner_key, fingerprint});
  }
  return true;
}

size_t PodChangeFilter::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_.size();
}

}  // namespace capstan::controllers
