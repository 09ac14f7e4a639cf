// The per-cycle state of pod-topology-spread: the pod's topologySpreadConstraints parsed from its
// JSON (`SpreadConstraints`), the matching-pod counts per topology domain for Filter
// (`FilterCounts`, over the whole snapshot) and for Score (`ScoreCounts`, over the domains of the
// feasible nodes). Partner: spread_state.cc; user: pod_topology_spread.cc.
#ifndef CAPSTAN_PLUGINS_SCHED_POD_TOPOLOGY_SPREAD_SPREAD_STATE_H_
#define CAPSTAN_PLUGINS_SCHED_POD_TOPOLOGY_SPREAD_SPREAD_STATE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "capstan/sdk/host.h"
#include "capstan/sdk/json.h"
#include "capstan/sdk/sched.h"
#include "plugins/sched/common/node_affinity_terms.h"
#include "plugins/sched/common/selector.h"
#include "plugins/sched/common/string_maps.h"

namespace capstan::sched {

inline constexpr char kHostnameLabel[] = "kubernetes.io/hostname";

struct SpreadConstraint {
  int32_t max_skew = 1;
  std::string topology_key;
  bool hard = true;  // DoNotSchedule; false: ScheduleAnyway
  LabelSelector selector;
  int32_t min_domains = 1;
  bool honor_node_affinity = true;  // nodeAffinityPolicy, default Honor
  bool honor_node_taints = false;   // nodeTaintsPolicy, default Ignore
  bool self_match = false;          // the selector matches the incoming pod itself
};

// What the pod asks for; immutable once parsed.
struct SpreadConstraints {
  std::vector<SpreadConstraint> hard, soft;
  NodeAffinityTerms affinity;  // the pod's required node affinity (for nodeAffinityPolicy)

  // Parses `.spec.topologySpreadConstraints` of `pod_json` (null JSON: none). INVALID on a
  // malformed constraint.
  static sdk::Status Parse(const sdk::json::Json& pod_json, const sdk::PodView& pod,
                           SpreadConstraints* out);
  // Whether `node` counts for `c` under its node inclusion policies.
  bool Includes(const SpreadConstraint& c, const sdk::PodView& pod,
                const sdk::NodeView& node) const;
};

// Matching pods per domain for the hard constraints, over every node of the snapshot.
struct FilterCounts {
  std::vector<DomainCounts> counts;  // per hard constraint: topology value -> matching pods
  std::vector<int64_t> min_match;    // per hard constraint: the smallest count (critical path)
};

// Matching pods per domain of the feasible nodes for the soft constraints.
struct ScoreCounts {
  std::vector<DomainCounts> counts;  // per soft constraint (empty for the hostname key)
  std::vector<double> weights;       // per soft constraint: log(domains + 2)
  NameSet ignored_nodes;             // feasible nodes lacking a soft constraint's key
};

// Pods in `ns` (not in other namespaces) whose labels `selector` matches.
int64_t CountMatching(sdk::Span<capstan_sched_pod_view> pods, const LabelSelector& selector,
                      std::string_view ns);
// Whether `node` has every constraint's topology key.
bool HasAllKeys(const sdk::NodeView& node, const std::vector<SpreadConstraint>& constraints);

// Counts over the snapshot (needs "capstan_host_sched_node_view_v1").
sdk::Status BuildFilterCounts(const sdk::Host& host, const sdk::Cycle& cycle,
                              const sdk::PodView& pod, const SpreadConstraints& c,
                              FilterCounts* out);
sdk::Status BuildScoreCounts(const sdk::Host& host, const sdk::Cycle& cycle,
                             const sdk::PodView& pod, const SpreadConstraints& c,
                             const sdk::NodeList& feasible, ScoreCounts* out);

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_POD_TOPOLOGY_SPREAD_SPREAD_STATE_H_
