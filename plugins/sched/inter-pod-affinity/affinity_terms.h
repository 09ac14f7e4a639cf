// Inter-pod affinity terms: `AffinityTerm` (v1.PodAffinityTerm with its weight) and its identity
// `TermKey`, `PodAffinity` (a pod's four term lists), and `TopologyCounts` (counts by
// (topologyKey, value) without allocating on lookup). Partner: affinity_terms.cc; the index of
// existing pods built from them: affinity_index.h.
#ifndef CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_AFFINITY_TERMS_H_
#define CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_AFFINITY_TERMS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capstan/sdk/json.h"
#include "capstan/sdk/sched.h"
#include "plugins/sched/common/selector.h"
#include "plugins/sched/common/string_maps.h"

namespace capstan::sched {

struct AffinityTerm {
  LabelSelector selector;
  std::vector<std::string> namespaces;  // resolved: the owner's namespace when none was given
  bool all_namespaces = false;          // namespaceSelector: {}
  std::string topology_key;
  int64_t weight = 0;  // preferred terms only

  // Whether `pod` is in the term's namespaces and matches its selector.
  bool Matches(const sdk::PodView& pod) const;
};

struct PodAffinity {
  std::vector<AffinityTerm> required_affinity, required_anti, preferred_affinity, preferred_anti;

  bool empty() const {
    return required_affinity.empty() && required_anti.empty() && preferred_affinity.empty() &&
           preferred_anti.empty();
  }
  // Parses `.spec.affinity.podAffinity` / `podAntiAffinity` of `pod_json`; `owner` supplies the
  // default namespace and the labels for matchLabelKeys/mismatchLabelKeys. Malformed terms are
  // dropped (they match nothing).
  static PodAffinity Parse(const sdk::json::Json& pod_json, const sdk::PodView& owner);
};

// The identity of a term without its weight: terms with equal keys match the same pods in the
// same topology domains (namespaces compared as a set). Used to group and count identical terms.
std::string TermKey(const AffinityTerm& term);

// Counts per (topology key, value): a short list of keys (terms use few), each with a hash map
// by value, so lookups never allocate and short values stay in the small-string buffer. Entries
// that return to zero are dropped (as upstream's maps), so `empty()` means "no nonzero count".
class TopologyCounts {
 public:
  void Add(std::string_view key, std::string_view value, int64_t n);
  int64_t Get(std::string_view key, std::string_view value) const;
  // The counts under `key`, or NULL when none is nonzero.
  const DomainCounts* Find(std::string_view key) const;
  bool empty() const { return keys_.empty(); }
  // Whether any (key, labels[key]) of `labels` has a positive count. Walks the few counted keys,
  // not the node's many labels.
  bool AnyPositive(const sdk::Labels& labels) const;
  // Calls `fn(key, value, count)` for every nonzero count.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& [key, counts] : keys_) {
      for (const auto& [value, n] : counts) fn(key, value, n);
    }
  }

 private:
  std::vector<std::pair<std::string, DomainCounts>> keys_;
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_AFFINITY_TERMS_H_
