// The scheduler's node cache: nodes, the pods bound or assumed on each with their summed
// requests, and image presence across nodes. Assume on Reserve, forget when binding fails,
// confirm when the bound pod arrives from the informer. `UpdateSnapshot` copies only nodes that
// changed since the previous call into the cycle's `Snapshot` (snapshot.h).
// Tests in tests/core/scheduler/cache_test.cc.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/common/status.h"
#include "core/scheduler/pod_info.h"
#include "core/scheduler/snapshot.h"

namespace capstan::scheduler {

// Thread-safe: every method takes the one internal mutex. `UpdateSnapshot` has a single
// consumer (the scheduling loop): it consumes the set of nodes changed since the last call.
class Cache {
 public:
  // Adds or replaces a node.
  void AddNode(std::shared_ptr<const NodeInfo> node);
  void RemoveNode(const std::string& name);

  // Places `pod` (which names its node) on the node before the API confirms it. Errors:
  // kAlreadyExists when the pod is already assumed or bound; kInvalid without a node name.
  Status AssumePod(std::shared_ptr<const PodInfo> pod);
  // Drops an assumed pod (binding failed). No-op for bound or unknown pods.
  void ForgetPod(const std::string& key);
  // A bound pod seen by the informer: confirms an assumed pod (moving it if the node differs)
  // or adds/updates it. A terminal pod is removed instead (it holds no resources).
  void AddOrUpdatePod(std::shared_ptr<const PodInfo> pod);
  void RemovePod(const std::string& key);

  // True when the pod is assumed or bound in the cache.
  bool HasPod(const std::string& key) const;
  bool IsAssumed(const std::string& key) const;
  size_t NodeCount() const;
  size_t PodCount() const;

  // Brings `snapshot` up to date. Cost: O(changed nodes), or O(nodes) after nodes were added or
  // removed.
  void UpdateSnapshot(Snapshot* snapshot);

 private:
  struct NodeEntry {
    std::shared_ptr<const NodeInfo> info;  // NULL while only pods name this node
    std::map<std::string, std::shared_ptr<const PodInfo>> pods;
    Resources requested;
    uint64_t generation = 0;
  };
  struct PodState {
    std::shared_ptr<const PodInfo> pod;
    bool assumed = false;
  };

  void AddPodLocked(std::shared_ptr<const PodInfo> pod, bool assumed);
  // Safe with the removed pod's own key: the map entry holding it is erased last.
  void RemovePodLocked(const std::string& key);
  void Touch(const std::string& node, NodeEntry& entry);
  void CopyNode(const NodeEntry& entry, uint32_t index, SnapshotNode& out) const;

  mutable std::mutex mu_;
  std::unordered_map<std::string, NodeEntry> nodes_;
  std::unordered_map<std::string, PodState> pods_;
  std::unordered_map<std::string, int32_t> image_nodes_;  // image name -> nodes having it
  std::unordered_set<std::string> dirty_;
  bool structure_changed_ = true;
  uint64_t generation_ = 0;
};

}  // namespace capstan::scheduler
