// The per-cycle snapshot of the node cache: every node's ABI view (labels, taints, allocatable,
// requested sums, used host ports, images with cluster-wide counts) and the views of its pods,
// all pointing into memory the snapshot keeps alive. Filled incrementally by
// `Cache::UpdateSnapshot` (cache.h): only nodes changed since the last update are re-copied.
// Tests in tests/core/scheduler/cache_test.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "capstan/abi/sched.h"
#include "core/scheduler/pod_info.h"
#include "core/scheduler/resources.h"

namespace capstan::scheduler {

// One node as of the last snapshot update. `view` and everything it points to stay valid until
// the next `Cache::UpdateSnapshot` on the owning snapshot.
struct SnapshotNode {
  std::shared_ptr<const NodeInfo> info;
  uint64_t generation = 0;
  Resources requested;
  std::vector<capstan_sched_scalar> requested_scalars;
  std::vector<std::shared_ptr<const PodInfo>> pods;
  std::vector<capstan_sched_pod_view> pod_views;
  std::vector<capstan_sched_host_port> used_ports;
  std::vector<capstan_sched_image> images;
  uint32_t pod_flags = 0;  // union of the pods' CAPSTAN_SCHED_POD_* flags
  capstan_sched_node_view view{};
};

// Owned by one scheduling loop; not thread-safe to update, safe to read from many threads
// between updates (the parallel Filter/Score phases).
class Snapshot {
 public:
  size_t size() const { return nodes_.size(); }
  const SnapshotNode& node(size_t i) const { return *nodes_[i]; }
  // Index of the node named `name`, or -1.
  int64_t Find(std::string_view name) const;
  // Bumped by every update that changed something.
  uint64_t generation() const { return generation_; }
  // Ascending indices of the nodes holding a pod with `flag` (one CAPSTAN_SCHED_POD_* bit; NULL
  // for other values). Upstream keeps the same lists so inter-pod affinity skips the rest.
  const std::vector<uint32_t>* NodesWithPodFlag(uint32_t flag) const;

 private:
  friend class Cache;
  // Recomputes the lists of NodesWithPodFlag (one pass over the nodes' flag unions).
  void IndexPodFlags();

  std::vector<std::unique_ptr<SnapshotNode>> nodes_;
  std::vector<uint32_t> affinity_nodes_;
  std::vector<uint32_t> anti_affinity_nodes_;
  std::unordered_map<std::string, uint32_t> index_;
  uint64_t generation_ = 0;
};

}  // namespace capstan::scheduler
