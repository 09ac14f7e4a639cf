// Parsed node affinity; see node_affinity_terms.h.
#include "plugins/sched/common/node_affinity_terms.h"

namespace capstan::sched {

using sdk::json::Json;

bool MatchesNodeSelector(const sdk::Labels& selector, const sdk::Labels& labels) {
  for (size_t i = 0; i < selector.size(); ++i) {
    std::optional<std::string_view> v = labels.Get(selector.key(i));
    if (!v || !sdk::SameBytes(*v, selector.value(i))) return false;
  }
  return true;
}

NodeAffinityTerms NodeAffinityTerms::Parse(const Json* node_affinity) {
  NodeAffinityTerms t;
  if (node_affinity == nullptr || !node_affinity->is_object()) return t;
  if (const Json* req =
          sdk::json::GetObject(*node_affinity, "requiredDuringSchedulingIgnoredDuringExecution")) {
    t.has_required = true;
    if (const Json* terms = sdk::json::GetArray(*req, "nodeSelectorTerms")) {
      for (const Json& term : *terms) t.required.push_back(NodeSelectorTerm::Parse(term));
    }
  }
  if (const Json* prefs =
          sdk::json::GetArray(*node_affinity, "preferredDuringSchedulingIgnoredDuringExecution")) {
    for (const Json& p : *prefs) {
      int64_t weight = sdk::json::GetInt(p, "weight").value_or(0);
      const Json* pref = sdk::json::GetObject(p, "preference");
      if (weight == 0 || pref == nullptr) continue;
      t.preferred.emplace_back(weight, NodeSelectorTerm::Parse(*pref));
    }
  }
  return t;
}

bool NodeAffinityTerms::RequiredMatch(const sdk::NodeView& node) const {
  if (!has_required) return true;
  sdk::Labels labels = node.labels();
  for (const NodeSelectorTerm& term : required) {
    if (term.Matches(labels, node.name())) return true;
  }
  return false;
}

int64_t NodeAffinityTerms::PreferredScore(const sdk::NodeView& node) const {
  int64_t sum = 0;
  sdk::Labels labels = node.labels();
  for (const auto& [weight, term] : preferred) {
    if (term.Matches(labels, node.name())) sum += weight;
  }
  return sum;
}

}  // namespace capstan::sched
