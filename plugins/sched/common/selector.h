// Parsed Kubernetes selectors for the default scheduler plugins: `LabelSelector`
// (metav1.LabelSelector: matchLabels + matchExpressions In/NotIn/Exists/DoesNotExist) and
// `NodeSelectorTerm` (v1.NodeSelectorTerm: matchExpressions incl. Gt/Lt, matchFields on
// metadata.name). Parsed once per pod from its JSON, then matched per node without allocating.
// Partners: selector.cc; users: node-affinity, inter-pod-affinity, pod-topology-spread.
#ifndef CAPSTAN_PLUGINS_SCHED_COMMON_SELECTOR_H_
#define CAPSTAN_PLUGINS_SCHED_COMMON_SELECTOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capstan/sdk/json.h"
#include "capstan/sdk/sched_views.h"
#include "capstan/sdk/status.h"

namespace capstan::sched {

enum class SelectorOp { kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };

struct Requirement {
  std::string key;
  SelectorOp op = SelectorOp::kIn;
  std::vector<std::string> values;
  int64_t number = 0;  // the parsed value of Gt/Lt

  // Whether a label (or field) value satisfies the requirement; `value` is NULL when absent.
  bool Matches(const std::string_view* value) const;
  // Whether `value` is one of `values`.
  bool Has(std::string_view value) const;
};

// A label selector. Default-constructed it matches everything (an empty `{}` selector); a
// missing selector in an affinity term matches nothing (`MatchNothing`). Immutable after parse;
// safe to share across threads.
class LabelSelector {
 public:
  static LabelSelector MatchNothing();
  // Parses a metav1.LabelSelector object. INVALID with a message on an unknown operator, a
  // non-string value, or values present with Exists/DoesNotExist (or absent with In/NotIn).
  static sdk::Status Parse(const sdk::json::Json& j, LabelSelector* out);

  bool Matches(const sdk::Labels& labels) const;
  // ANDs one more requirement (matchLabelKeys); no effect on a match-nothing selector.
  void Add(Requirement r) {
    if (!nothing_) requirements_.push_back(std::move(r));
  }
  bool matches_nothing() const { return nothing_; }
  bool empty() const { return !nothing_ && requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }

 private:
  bool nothing_ = false;
  std::vector<Requirement> requirements_;
};

// One v1.NodeSelectorTerm. A term without expressions and fields matches no node, as upstream;
// so does a term that failed to parse (upstream drops erroneous terms lazily).
class NodeSelectorTerm {
 public:
  // Never fails: an invalid term is kept and matches nothing.
  static NodeSelectorTerm Parse(const sdk::json::Json& j);

  bool Matches(const sdk::Labels& node_labels, std::string_view node_name) const;
  // The node names of `matchFields` metadata.name In requirements, intersected; `*any` is false
  // when the term has none (then every node may match it). Used by node-affinity's PreFilter.
  std::vector<std::string> NodeNames(bool* any) const;

 private:
  bool valid_ = true;
  std::vector<Requirement> expressions_;
  std::vector<Requirement> fields_;
};

// Parses one requirement of `matchExpressions` (`allow_numeric`: Gt/Lt allowed, as in node
// selectors). INVALID on a malformed requirement.
sdk::Status ParseRequirement(const sdk::json::Json& j, bool allow_numeric, Requirement* out);

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_COMMON_SELECTOR_H_
