// `TermGates<Id>`: term ids filed under a label (key, value) every pod they match must carry (a
// single-value `In` requirement, as `matchLabels` gives), so finding the terms that may match a
// pod looks at the pod's few labels instead of testing every term. Terms without such a label
// stay "ungated" and are always candidates. Used by affinity_index.h. Header-only.
#ifndef CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_TERM_GATES_H_
#define CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_TERM_GATES_H_

#include <algorithm>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "capstan/sdk/sched_views.h"
#include "plugins/sched/common/string_maps.h"
#include "plugins/sched/inter-pod-affinity/affinity_terms.h"

namespace capstan::sched {

// The label every pod matching all of `terms` carries, if one of them requires one.
inline std::optional<std::pair<std::string, std::string>> GateOf(
    const std::vector<const AffinityTerm*>& terms) {
  for (const AffinityTerm* t : terms) {
    if (t->selector.matches_nothing()) continue;
    for (const Requirement& r : t->selector.requirements()) {
      if (r.op == SelectorOp::kIn && r.values.size() == 1) {
        return std::make_pair(r.key, r.values[0]);
      }
    }
  }
  return std::nullopt;
}

// Not thread-safe (owned by the index, under its mutex).
template <typename Id>
class TermGates {
 public:
  using Gate = std::optional<std::pair<std::string, std::string>>;

  void Add(Id id, const Gate& gate) { List(gate).push_back(id); }
  // `gate` must be the one `id` was added with.
  void Remove(Id id, const Gate& gate) {
    std::vector<Id>& ids = List(gate);
    auto it = std::find(ids.begin(), ids.end(), id);
    if (it != ids.end()) {
      *it = ids.back();
      ids.pop_back();
    }
    if (gate && ids.empty()) {
      auto by_key = gated_.find(gate->first);
      by_key->second.erase(gate->second);
      if (by_key->second.empty()) gated_.erase(by_key);
    }
  }
  // Calls `fn(id)` once for every id that may match a pod labelled `labels`.
  template <typename Fn>
  void ForEachCandidate(const sdk::Labels& labels, Fn&& fn) const {
    for (Id id : ungated_) fn(id);
    if (gated_.empty()) return;
    for (size_t i = 0; i < labels.size(); ++i) {
      auto by_key = gated_.find(labels.key(i));
      if (by_key == gated_.end()) continue;
      auto ids = by_key->second.find(labels.value(i));
      if (ids == by_key->second.end()) continue;
      for (Id id : ids->second) fn(id);
    }
  }
  bool empty() const { return ungated_.empty() && gated_.empty(); }
  void clear() {
    ungated_.clear();
    gated_.clear();
  }

 private:
  using ByValue = std::unordered_map<std::string, std::vector<Id>, StringHash, std::equal_to<>>;

  std::vector<Id>& List(const Gate& gate) {
    return gate ? gated_[gate->first][gate->second] : ungated_;
  }

  std::vector<Id> ungated_;
  std::unordered_map<std::string, ByValue, StringHash, std::equal_to<>> gated_;
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_TERM_GATES_H_
