// `InterPodAffinity` (PreFilter, Filter, PreScore, Score, NormalizeScore): required and preferred
// pod affinity/anti-affinity by topology key, including the symmetry of existing pods'
// anti-affinity. PreFilter/PreScore walk the snapshot once per cycle and reduce it to counts per
// (topologyKey, value); Filter and Score are a few hash lookups per node. Exported by plugin.cc;
// tested in tests/plugins/sched/inter-pod-affinity/.
#ifndef CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_INTER_POD_AFFINITY_H_
#define CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_INTER_POD_AFFINITY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capstan/sdk/host.h"
#include "capstan/sdk/sched.h"
#include "plugins/sched/common/cycle_cache.h"
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

struct InterPodFilterState {
  std::shared_ptr<const PodAffinity> incoming;
  TopologyCounts existing_anti;  // existing pods' required anti-affinity matching the pod
  TopologyCounts affinity;       // existing pods matching the pod's required affinity terms
  TopologyCounts anti;           // existing pods matching the pod's required anti-affinity terms
};

struct InterPodScoreState {
  // topologyKey -> value -> summed weight.
  std::vector<std::pair<std::string, DomainCounts>> scores;
  DomainCounts& For(const std::string& key);
};

// Thread-safe: configuration is immutable after Init; the caches are thread-safe.
class InterPodAffinity final : public sdk::SchedPlugin {
 public:
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // Walks the snapshot. SKIP when the pod has no required terms and no existing pod's required
  // anti-affinity matches it; UNAVAILABLE without "capstan_host_sched_node_view_v1".
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

  // Parsed existing pods currently cached (for tests).
  size_t cached_pods() {
    std::lock_guard<std::mutex> lock(existing_.mu());
    return existing_.size();
  }

 private:
  // The cached affinity of existing `pod`; with `gated` (the host flags pods), NULL at once for
  // pods flagged without affinity terms. Requires existing_.mu().
  const PodAffinity* Existing(const sdk::Cycle& cycle, const sdk::PodView& pod, bool gated);
  sdk::Status Incoming(const sdk::Cycle& cycle, const sdk::PodView& pod,
                       std::shared_ptr<const PodAffinity>* out) const;

  const sdk::Host* host_ = nullptr;
  int64_t hard_weight_ = 1;
  bool ignore_existing_preferred_ = false;
  ExistingPodCache existing_;         // guarded by existing_.mu()
  std::atomic<size_t> size_hint_{0};  // largest count map of the previous cycle
  CycleCache<InterPodFilterState> filter_cache_{"inter-pod-affinity"};
  CycleCache<InterPodScoreState> score_cache_{"inter-pod-affinity/score"};
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_INTER_POD_AFFINITY_H_
