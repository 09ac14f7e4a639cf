// `InterPodAffinity` (PreFilter, Filter, PreScore, Score, NormalizeScore): required and preferred
// pod affinity/anti-affinity by topology key, including the symmetry of existing pods'
// anti-affinity. PreFilter/PreScore read counts per (topologyKey, value) from an index of the
// existing pods kept across cycles (affinity_index.h), in O(distinct terms); Filter and Score are
// a few hash lookups per node. Exported by plugin.cc; tested in
// tests/plugins/sched/inter-pod-affinity/.
#ifndef CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_INTER_POD_AFFINITY_H_
#define CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_INTER_POD_AFFINITY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capstan/sdk/host.h"
#include "capstan/sdk/sched.h"
#include "plugins/sched/common/cycle_cache.h"
#include "plugins/sched/inter-pod-affinity/affinity_index.h"
#include "plugins/sched/inter-pod-affinity/affinity_terms.h"

namespace capstan::sched {

inline constexpr char kInterPodAffinityName[] = "inter-pod-affinity";
inline constexpr char kReasonAffinity[] = "node(s) didn't match pod affinity rules";
inline constexpr char kReasonAntiAffinity[] = "node(s) didn't match pod anti-affinity rules";
inline constexpr char kReasonExistingAnti[] =
    "node(s) didn't satisfy existing pods anti-affinity rules";
inline constexpr char kInterPodAffinitySchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "hardPodAffinityWeight": {"type": "integer", "minimum": 0, "maximum": 100},
    "ignorePreferredTermsOfExistingPods": {"type": "boolean"}
  }
})";

// Counts of the index read in a cycle: per value of `*key`, `factor` times `(*counts)[value]`.
// Points into the plugin's index, which stays unchanged from PreFilter (or PreScore) until the
// cycle's Filter (or Score) calls are over; the states below carry the index epoch they belong to.
struct DomainSource {
  const std::string* key = nullptr;
  const DomainCounts* counts = nullptr;  // no zero entries
  int64_t factor = 1;
  // The count of the node's domain, 0 when the node lacks the key.
  int64_t At(const sdk::Labels& labels) const;
};

struct InterPodFilterState {
  std::shared_ptr<const PodAffinity> incoming;
  uint64_t epoch = 0;
  // Existing pods matching all of the pod's required affinity terms; NULL without such terms.
  const TopologyCounts* affinity = nullptr;
  std::vector<DomainSource> anti;           // pods matching a required anti-affinity term
  std::vector<DomainSource> existing_anti;  // existing pods' anti-affinity terms matching it
};

struct InterPodScoreState {
  std::shared_ptr<const PodAffinity> incoming;  // owns the terms some source keys point into
  uint64_t epoch = 0;
  std::vector<DomainSource> sources;  // a node scores the sum of their counts
};

// Thread-safe: configuration is immutable after Init; the cycle caches are thread-safe and the
// index is guarded by `mu_` (PreFilter and PreScore only).
class InterPodAffinity final : public sdk::SchedPlugin {
 public:
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // Brings the index up to date with the snapshot (AffinityIndex::Sync) and reads its counts.
  // SKIP when the pod has no required terms and no existing pod's required anti-affinity matches
  // it; UNAVAILABLE without "capstan_host_sched_node_view_v1".
  sdk::Status PreFilter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                        std::string* node_names_json) override;
  // UNRESOLVABLE "node(s) didn't match pod affinity rules"; UNSCHEDULABLE
  // "node(s) didn't match pod anti-affinity rules" or
  // "node(s) didn't satisfy existing pods anti-affinity rules".
  sdk::Status Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                     const sdk::NodeView& node) override;
  // SKIP when no term of the pod or of an existing pod contributes.
  sdk::Status PreScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                       const sdk::NodeList& nodes) override;
  sdk::Status Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                    const sdk::NodeView& node, int64_t* score) override;
  // Min-max scaling to [0, 100].
  sdk::Status NormalizeScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                             sdk::NodeScores& scores) override;

  // Existing pods whose parsed terms the index holds (for tests).
  size_t cached_pods() {
    std::lock_guard<std::mutex> lock(mu_);
    return index_.parsed_pods();
  }
  // Combinations of incoming pods' terms the index maintains counts for (for tests).
  size_t maintained_counts() {
    std::lock_guard<std::mutex> lock(mu_);
    return index_.counters();
  }

 private:
  sdk::Status Incoming(const sdk::Cycle& cycle, const sdk::PodView& pod,
                       std::shared_ptr<const PodAffinity>* out) const;
  // The sources for the index's counts of existing pods matching `term`, times `factor`
  // (none when no pod does). Requires mu_.
  sdk::Status AddMatching(const sdk::Cycle& cycle, const AffinityTerm& term, int64_t factor,
                          std::vector<DomainSource>* out);

  const sdk::Host* host_ = nullptr;
  int64_t hard_weight_ = 1;
  bool ignore_existing_preferred_ = false;
  std::mutex mu_;
  AffinityIndex index_;  // guarded by mu_
  // Bumped whenever PreFilter or PreScore may change the index: states of another epoch point
  // into an index that has changed since and must not be read.
  std::atomic<uint64_t> epoch_{0};
  CycleCache<InterPodFilterState> filter_cache_{"inter-pod-affinity"};
  CycleCache<InterPodScoreState> score_cache_{"inter-pod-affinity/score"};
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_INTER_POD_AFFINITY_H_
