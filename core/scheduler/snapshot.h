// The per-cycle snapshot of the node cache: every node's ABI view (labels, taints, allocatable,
// requested sums, used host ports, images with cluster-wide counts) and the views of its pods,
// all pointing into memory the snapshot keeps alive. Filled incrementally by
// `Cache::UpdateSnapshot` (cache.h): only nodes changed since the last update are re-copied, and
// a log of those changes lets plugins keep per-node state across cycles
// ("capstan_host_sched_changed_nodes_v1"). Tests in tests/core/scheduler/cache_test.cc.
#pragma once

#include <cstdint>
#include <deque>
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
  Snapshot();

  size_t size() const { return nodes_.size(); }
  const SnapshotNode& node(size_t i) const { return *nodes_[i]; }
  // Index of the node named `name`, or -1.
  int64_t Find(std::string_view name) const;
  // Bumped by every update that changed something.
  uint64_t generation() const { return generation_; }
  // Ascending indices of the nodes holding a pod with `flag` (one CAPSTAN_SCHED_POD_* bit; NULL
  // for other values). Upstream keeps the same lists so inter-pod affinity skips the rest.
  const std::vector<uint32_t>* NodesWithPodFlag(uint32_t flag) const;

  // The token of this snapshot's current contents: never 0, unique in the process (tokens of
  // different snapshots never collide), new after every update that changed something.
  uint64_t change_token() const { return token_; }
  // Writes the ascending, distinct indices of the nodes changed between the update that issued
  // token `since` and now, and returns true; returns false (leaving `out` empty) when the log
  // cannot answer: `since` is 0, another snapshot's, older than the log, or from before nodes
  // were added or removed (indices moved). Then every node must count as changed.
  bool ChangedSince(uint64_t since, std::vector<uint32_t>* out) const;

 private:
  friend class Cache;
  struct Change {
    uint64_t token = 0;
    std::vector<uint32_t> indices;
  };
  // Recomputes the lists of NodesWithPodFlag (one pass over the nodes' flag unions).
  void IndexPodFlags();
  // After an update that re-copied the nodes at `indices`: a new token (none when empty).
  void LogChanges(std::vector<uint32_t> indices);
  // After nodes were added or removed: a new token and an empty log that starts there.
  void ResetChangeLog();

  std::vector<std::unique_ptr<SnapshotNode>> nodes_;
  std::vector<uint32_t> affinity_nodes_;
  std::vector<uint32_t> anti_affinity_nodes_;
  std::unordered_map<std::string, uint32_t> index_;
  uint64_t generation_ = 0;
  // Oldest first. Bounded (LogChanges): a reader more than about two snapshots' worth of node
  // changes behind gets a full answer instead.
  std::deque<Change> changes_;
  size_t logged_indices_ = 0;
  uint64_t log_base_ = 0;  // the token from which `changes_` is complete
  uint64_t token_ = 0;
};

}  // namespace capstan::scheduler
