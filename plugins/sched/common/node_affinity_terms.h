// `NodeAffinityTerms`: a pod's (or a configured) v1.NodeAffinity parsed into node selector terms,
// and `MatchesNodeSelector` for `.spec.nodeSelector`. Shared by node-affinity and the plugins that
// honour node affinity when counting domains (pod-topology-spread). Partner: selector.h.
#ifndef CAPSTAN_PLUGINS_SCHED_COMMON_NODE_AFFINITY_TERMS_H_
#define CAPSTAN_PLUGINS_SCHED_COMMON_NODE_AFFINITY_TERMS_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "capstan/sdk/json.h"
#include "capstan/sdk/sched_views.h"
#include "plugins/sched/common/selector.h"

namespace capstan::sched {

// The node affinity of a pod (or the configured addedAffinity), parsed.
struct NodeAffinityTerms {
  bool has_required = false;
  std::vector<NodeSelectorTerm> required;  // OR-ed
  std::vector<std::pair<int64_t, NodeSelectorTerm>> preferred;

  // Parses a v1.NodeAffinity object (NULL or null: none).
  static NodeAffinityTerms Parse(const sdk::json::Json* node_affinity);
  bool RequiredMatch(const sdk::NodeView& node) const;
  int64_t PreferredScore(const sdk::NodeView& node) const;
};

// True when `labels` hold every key=value pair of `selector` (a pod's `.spec.nodeSelector`).
bool MatchesNodeSelector(const sdk::Labels& selector, const sdk::Labels& labels);

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_COMMON_NODE_AFFINITY_TERMS_H_
