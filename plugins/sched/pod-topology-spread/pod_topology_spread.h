// `PodTopologySpread` (PreFilter, Filter, PreScore, Score, NormalizeScore): spreads matching pods
// across topology domains within `maxSkew` (DoNotSchedule filters, ScheduleAnyway scores). The
// pod's constraints are parsed once and the per-domain counts computed once per cycle over the
// whole snapshot; Filter is a hash lookup per constraint. Exported by plugin.cc; tested in
// tests/plugins/sched/pod-topology-spread/.
#ifndef CAPSTAN_PLUGINS_SCHED_POD_TOPOLOGY_SPREAD_POD_TOPOLOGY_SPREAD_H_
#define CAPSTAN_PLUGINS_SCHED_POD_TOPOLOGY_SPREAD_POD_TOPOLOGY_SPREAD_H_

#include <memory>
#include <string>
#include <string_view>

#include "capstan/sdk/host.h"
#include "capstan/sdk/sched.h"
#include "plugins/sched/common/cycle_cache.h"
#include "plugins/sched/pod-topology-spread/spread_state.h"

namespace capstan::sched {

inline constexpr char kPodTopologySpreadName[] = "pod-topology-spread";
inline constexpr char kSpreadReason[] = "node(s) didn't match pod topology spread constraints";
inline constexpr char kSpreadReasonMissingLabel[] =
    "node(s) didn't match pod topology spread constraints (missing required label)";

// Everything one cycle needs; the parts are shared so PreScore can extend PreFilter's state.
struct SpreadState {
  std::shared_ptr<const SpreadConstraints> constraints;
  std::shared_ptr<const FilterCounts> filter;  // NULL without hard constraints
  std::shared_ptr<const ScoreCounts> score;    // NULL until PreScore
};

// Thread-safe: no mutable members besides `cache_` (itself thread-safe).
class PodTopologySpread final : public sdk::SchedPlugin {
 public:
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // SKIP without DoNotSchedule constraints; else counts matching pods per domain over the
  // snapshot. ERROR/UNAVAILABLE when the pod JSON or the snapshot cannot be read.
  sdk::Status PreFilter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                        std::string* node_names_json) override;
  // UNRESOLVABLE "... (missing required label)" or UNSCHEDULABLE
  // "node(s) didn't match pod topology spread constraints" when the skew would exceed maxSkew.
  sdk::Status Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                     const sdk::NodeView& node) override;
  // SKIP without ScheduleAnyway constraints.
  sdk::Status PreScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                       const sdk::NodeList& nodes) override;
  // Sum over constraints of count * log(domains + 2) + maxSkew - 1 (lower is better).
  sdk::Status Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                    const sdk::NodeView& node, int64_t* score) override;
  // 100 * (max + min - s) / max; ignored nodes get 0.
  sdk::Status NormalizeScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                             sdk::NodeScores& scores) override;

 private:
  sdk::Status Constraints(const sdk::Cycle& cycle, const sdk::PodView& pod,
                          std::shared_ptr<const SpreadConstraints>* out) const;

  const sdk::Host* host_ = nullptr;
  CycleCache<SpreadState> cache_{kPodTopologySpreadName};
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_POD_TOPOLOGY_SPREAD_POD_TOPOLOGY_SPREAD_H_
