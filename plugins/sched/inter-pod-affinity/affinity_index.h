// `AffinityIndex`: what inter-pod affinity needs to know about the pods already placed, kept
// across scheduling cycles and updated only for the nodes that changed (host service
// "capstan_host_sched_changed_nodes_v1", sched 1.2; otherwise every node is compared), so a
// cycle costs O(distinct terms) instead of O(pods). It holds existing pods' terms grouped by
// identical term with per-domain sums, and, for terms incoming pods ask about, per-domain counts of
// the existing pods they match. Partners: affinity_index.cc, inter_pod_affinity.cc (its user).
#ifndef CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_AFFINITY_INDEX_H_
#define CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_AFFINITY_INDEX_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "capstan/abi/sched.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/sched.h"
#include "plugins/sched/inter-pod-affinity/affinity_terms.h"
#include "plugins/sched/inter-pod-affinity/term_gates.h"

namespace capstan::sched {

inline constexpr char kChangedNodesService[] = "capstan_host_sched_changed_nodes_v1";

// The host's "capstan_host_sched_changed_nodes_v1", or NULL (hosts before sched 1.2). Captured
// once per on_init (plugin.cc); tests set a fake.
void SetChangedNodesService(capstan_host_sched_changed_nodes_v1_fn fn);
capstan_host_sched_changed_nodes_v1_fn ChangedNodesService();
// Looks the service up in `host` (may be NULL) and stores it.
void CaptureChangedNodesService(const capstan_host* host);

// The four lists of a pod's terms, as existing pods' term groups.
enum class TermKind : uint8_t {
  kRequiredAnti,
  kRequiredAffinity,
  kPreferredAffinity,
  kPreferredAnti
};

// Not thread-safe: the plugin calls it under one mutex, from PreFilter and PreScore (which never
// overlap: cycles run one at a time). What it hands out (groups, counts) stays valid and unchanged
// until the next `Sync`, so a cycle's Filter and Score calls may read it from many threads.
class AffinityIndex {
 public:
  // A term group: the existing pods' terms of one kind equal to `term` (TermKey), with the sum of
  // their weights (1 for required terms) per value of the term's topology key, counted on the
  // nodes that have the key. Values with a zero sum are absent.
  struct Group {
    AffinityTerm term;
    TermKind kind = TermKind::kRequiredAnti;
    DomainCounts sums;
    int64_t members = 0;  // contributing terms; the group is freed at 0
    TermGates<uint32_t>::Gate gate;
    std::string key;
  };

  // Brings the index to the snapshot of `cycle`: revisits the nodes changed since the previous
  // call (all nodes on the first call, after nodes were added or removed, or without the
  // changed-nodes service). Existing pods' terms are parsed from their JSON once per pod; with
  // `gated` (sched 1.1+ hosts flag pods) only pods flagged CAPSTAN_SCHED_POD_HAS_AFFINITY are.
  // Errors: the host's, when it cannot list or read snapshot nodes.
  sdk::Status Sync(const sdk::Host& host, const sdk::Cycle& cycle, bool gated);

  // Calls `fn(const Group&)` for every group of `kind` whose term matches `pod`. Tests only the
  // groups whose gate label the pod carries (term_gates.h).
  template <typename Fn>
  void ForEachMatchingGroup(TermKind kind, const sdk::PodView& pod, Fn&& fn) const {
    gates_[static_cast<size_t>(kind)].ForEachCandidate(pod.labels(), [&](uint32_t id) {
      const Group& g = *groups_[id];
      if (g.term.Matches(pod)) fn(g);
    });
  }

  // Per (term's topology key, value): how many existing pods match every one of `terms` (each
  // pod adds 1 under each term's key, on nodes having it), as upstream counts an incoming pod's
  // terms. The first ask for a combination walks the snapshot once; later ones are maintained
  // as pods come and go (combinations unused for long are dropped). Call after `Sync` in the
  // same cycle. Errors: the host's.
  sdk::Status Matching(const sdk::Host& host, const sdk::Cycle& cycle,
                       const std::vector<const AffinityTerm*>& terms, const TopologyCounts** out);

  // Remembers the parsed terms of a pod being scheduled, so that when it appears in the snapshot
  // (assumed, then bound: the same object handle and uid) its JSON is not parsed again. Keeps
  // the last few.
  void RememberIncoming(const sdk::PodView& pod, std::shared_ptr<const PodAffinity> affinity);

  // Existing pods whose parsed terms are held (for tests).
  size_t parsed_pods() const;
  // Maintained combinations of `Matching` (for tests).
  size_t counters() const { return counters_.size(); }

 private:
  struct Contribution {
    uint32_t group;
    int64_t weight;
  };
  struct PodRecord {
    const capstan_sched_object* object = nullptr;
    std::string uid;
    std::string signature;  // namespace and labels (what `Matching` terms look at)
    std::shared_ptr<const PodAffinity> affinity;  // NULL: none
    bool unread = false;                          // JSON unreadable: retry on the next Sync
    std::vector<Contribution> groups;
    std::vector<uint64_t> counters;  // ids of the counters the pod matches (some may be gone)
  };
  struct NodeRecord {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels;  // as counted
    std::vector<PodRecord> pods;                              // in snapshot order
  };
  struct Counter {
    std::vector<AffinityTerm> terms;
    TopologyCounts counts;
    uint64_t last_used = 0;  // sync number
    TermGates<uint64_t>::Gate gate;
    std::string key;
  };

  struct Remembered {
    const capstan_sched_object* object = nullptr;
    std::string uid;
    std::shared_ptr<const PodAffinity> affinity;
  };

  // The full pass: every node of the snapshot compared with its record, which is found by node
  // name (indices move when nodes are added or removed), so unchanged nodes cost no parsing or
  // matching. Records of nodes that are gone are dropped.
  sdk::Status SyncAll(const sdk::Host& host, const sdk::Cycle& cycle, bool gated);
  // The remembered terms of `pod`, or NULL.
  std::shared_ptr<const PodAffinity> Recall(const sdk::PodView& pod) const;
  void UpdateNode(const sdk::Cycle& cycle, uint32_t index, const sdk::NodeView& node,
                  sdk::Span<capstan_sched_pod_view> pods, bool gated);
  void DropNode(NodeRecord& rec);
  PodRecord NewPod(const sdk::Cycle& cycle, const sdk::PodView& pod, const NodeRecord& node,
                   bool gated);
  void AddTerms(PodRecord& rec, TermKind kind, const std::vector<AffinityTerm>& terms);
  void DropPod(PodRecord& rec, const NodeRecord& node);
  // Adds (sign 1) or removes (-1) what `rec` contributes on a node labelled `labels`.
  void Apply(PodRecord& rec, const NodeRecord& node, int64_t sign);
  void ApplyCounter(Counter& c, const NodeRecord& node, int64_t n);
  void FreeGroup(uint32_t id);
  void SweepCounters();
  void EraseCounter(uint64_t id);

  uint64_t token_ = 0;  // the changed-nodes token of the last Sync; 0: none
  uint64_t syncs_ = 0;
  std::array<Remembered, 8> remembered_;
  size_t next_remembered_ = 0;
  std::vector<NodeRecord> nodes_;
  std::string scratch_;                         // a pod signature being compared
  std::vector<uint32_t> retry_;                 // nodes holding pods whose JSON could not be read
  std::vector<std::unique_ptr<Group>> groups_;  // by id; NULL: free
  std::vector<uint32_t> free_groups_;
  std::unordered_map<std::string, uint32_t> group_ids_;
  std::array<TermGates<uint32_t>, 4> gates_;  // live group ids by kind
  uint64_t next_counter_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Counter>> counters_;
  std::unordered_map<std::string, uint64_t> counter_ids_;
  TermGates<uint64_t> counter_gates_;
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_AFFINITY_INDEX_H_
