// Inter-pod affinity terms: `AffinityTerm` (v1.PodAffinityTerm with its weight), `PodAffinity`
// (a pod's four term lists), `TopologyCounts` (counts by (topologyKey, value) without allocating
// on lookup), and `ExistingPodCache` (the parsed affinity of pods already placed, by uid, so a
// pod's JSON is parsed once in its life, not once per cycle). Partner: affinity_terms.cc.
#ifndef CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_AFFINITY_TERMS_H_
#define CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_AFFINITY_TERMS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
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

// Counts per (topology key, value): a short list of keys (terms use few), each with a hash map
// by value, so lookups never allocate and short values stay in the small-string buffer.
class TopologyCounts {
 public:
  void Add(std::string_view key, std::string_view value, int64_t n);
  int64_t Get(std::string_view key, std::string_view value) const;
  bool empty() const { return keys_.empty(); }
  // Whether any (key, labels[key]) of `labels` has a positive count. Walks the few counted keys,
  // not the node's many labels.
  bool AnyPositive(const sdk::Labels& labels) const;
  // Pre-sizes every key's map (from the previous cycle's sizes).
  void Reserve(size_t per_key) { reserve_ = per_key; }
  size_t max_size() const;

 private:
  std::vector<std::pair<std::string, DomainCounts>> keys_;
  size_t reserve_ = 0;
};

// The parsed affinity of pods already placed, by object handle (checked against the uid, since a
// handle may be reused after its pod is gone). Not thread-safe by itself: it is used only from
// PreFilter/PreScore, which never run concurrently with each other (one cycle at a time); the
// plugin serializes those passes with `mu()`.
class ExistingPodCache {
 public:
  // The affinity of `pod` (NULL when it has none). Parses its JSON on the first sight of its
  // handle; a pod without an object handle or uid is treated as having none.
  const PodAffinity* Get(const sdk::Cycle& cycle, const sdk::PodView& pod);
  // Starts / ends a pass over the pods of the snapshot; the end of a `complete` pass (one that
  // saw every pod that may have an entry) drops entries of pods it did not see (amortized: every
  // few passes).
  void BeginPass() { ++pass_; }
  void EndPass(bool complete);
  size_t size() const { return entries_.size(); }
  std::mutex& mu() { return mu_; }

 private:
  struct Entry {
    std::string uid;
    std::shared_ptr<const PodAffinity> affinity;
    uint64_t pass = 0;
  };
  std::mutex mu_;
  uint64_t pass_ = 0;
  std::unordered_map<const capstan_sched_object*, Entry> entries_;
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_INTER_POD_AFFINITY_AFFINITY_TERMS_H_
