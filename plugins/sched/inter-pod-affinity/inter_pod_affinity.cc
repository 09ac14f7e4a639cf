// Inter-pod affinity; see inter_pod_affinity.h.
#include "plugins/sched/inter-pod-affinity/inter_pod_affinity.h"

#include <algorithm>
#include <limits>

#include "capstan/sdk/json.h"
#include "plugins/sched/common/object_json.h"
#include "plugins/sched/common/sched_util.h"
#include "plugins/sched/common/snapshot_nodes.h"

namespace capstan::sched {
namespace {

bool PodMatchesAllTerms(const std::vector<AffinityTerm>& terms, const sdk::PodView& pod) {
  if (terms.empty()) return false;
  for (const AffinityTerm& t : terms) {
    if (!t.Matches(pod)) return false;
  }
  return true;
}

// True on hosts of sched 1.1 and later, whose pod views carry CAPSTAN_SCHED_POD_* flags.
bool FlagsKnown() { return AffinityNodesService() != nullptr; }

}  // namespace

int64_t DomainSource::At(const sdk::Labels& labels) const {
  std::optional<std::string_view> value = labels.Get(*key);
  if (!value) return 0;
  auto it = counts->find(*value);
  return it == counts->end() ? 0 : factor * it->second;
}

sdk::Status InterPodAffinity::Init(const sdk::Host& host, std::string_view config_json) {
  host_ = &host;
  std::optional<sdk::json::Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  hard_weight_ = sdk::json::GetInt(*config, "hardPodAffinityWeight").value_or(1);
  if (hard_weight_ < 0 || hard_weight_ > 100) {
    return sdk::Status::Invalid("hardPodAffinityWeight must be in [0, 100]");
  }
  ignore_existing_preferred_ =
      sdk::json::GetBool(*config, "ignorePreferredTermsOfExistingPods").value_or(false);
  return sdk::Status::Ok();
}

sdk::Status InterPodAffinity::Incoming(const sdk::Cycle& cycle, const sdk::PodView& pod,
                                       std::shared_ptr<const PodAffinity>* out) const {
  if (auto state = filter_cache_.Get(cycle)) {
    *out = state->incoming;
    return sdk::Status::Ok();
  }
  sdk::json::Json pod_json;
  sdk::Status s =
      ObjectJsonWithAnyKey(cycle, pod.object(), {"podAffinity", "podAntiAffinity"}, &pod_json);
  if (!s.ok()) return s;
  *out = std::make_shared<const PodAffinity>(PodAffinity::Parse(pod_json, pod));
  return sdk::Status::Ok();
}

sdk::Status InterPodAffinity::AddMatching(const sdk::Cycle& cycle, const AffinityTerm& term,
                                          int64_t factor, std::vector<DomainSource>* out) {
  const TopologyCounts* counts = nullptr;
  sdk::Status s = index_.Matching(*host_, cycle, {&term}, &counts);
  if (!s.ok()) return s;
  if (const DomainCounts* c = counts->Find(term.topology_key)) {
    out->push_back(DomainSource{&term.topology_key, c, factor});
  }
  return sdk::Status::Ok();
}

sdk::Status InterPodAffinity::PreFilter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                        std::string* node_names_json) {
  (void)call, (void)node_names_json;
  auto state = std::make_shared<InterPodFilterState>();
  sdk::Status s = Incoming(cycle, pod, &state->incoming);
  if (!s.ok()) return s;
  const PodAffinity& in = *state->incoming;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state->epoch = epoch_.fetch_add(1, std::memory_order_acq_rel) + 1;
    s = index_.Sync(*host_, cycle, FlagsKnown());
    if (!s.ok()) return s;
    if (!in.empty()) index_.RememberIncoming(pod, state->incoming);
    // Existing pods' required anti-affinity terms that match the pod (symmetry).
    index_.ForEachMatchingGroup(TermKind::kRequiredAnti, pod, [&](const AffinityIndex::Group& g) {
      if (!g.sums.empty()) state->existing_anti.push_back({&g.term.topology_key, &g.sums, 1});
    });
    // As upstream, an existing pod counts for the pod's required affinity only when it matches
    // every term; for anti-affinity each term counts on its own.
    if (!in.required_affinity.empty()) {
      std::vector<const AffinityTerm*> all;
      all.reserve(in.required_affinity.size());
      for (const AffinityTerm& t : in.required_affinity) all.push_back(&t);
      s = index_.Matching(*host_, cycle, all, &state->affinity);
      if (!s.ok()) return s;
    }
    for (const AffinityTerm& t : in.required_anti) {
      s = AddMatching(cycle, t, 1, &state->anti);
      if (!s.ok()) return s;
    }
  }
  s = filter_cache_.Put(cycle, state);
  if (!s.ok()) return s;
  if (state->existing_anti.empty() && in.required_affinity.empty() && in.required_anti.empty()) {
    return sdk::Status::Skip();
  }
  return sdk::Status::Ok();
}

sdk::Status InterPodAffinity::Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                     const sdk::NodeView& node) {
  (void)call;
  std::shared_ptr<const InterPodFilterState> state = filter_cache_.Get(cycle);
  if (state == nullptr) {
    return sdk::Status::Error("inter-pod-affinity: no PreFilter state for this cycle");
  }
  if (state->epoch != epoch_.load(std::memory_order_acquire)) {
    return sdk::Status::Error("inter-pod-affinity: Filter after a later PreFilter or PreScore");
  }
  const PodAffinity& in = *state->incoming;
  sdk::Labels labels = node.labels();
  // Required affinity: every term's domain on this node must hold a matching pod, except for
  // the first pod of a group that matches its own terms while no pod matches anywhere.
  bool pods_exist = true;
  for (const AffinityTerm& t : in.required_affinity) {
    std::optional<std::string_view> value = labels.Get(t.topology_key);
    if (!value) return sdk::Status::Unresolvable(kReasonAffinity);
    if (state->affinity->Get(t.topology_key, *value) <= 0) pods_exist = false;
  }
  if (!pods_exist && !(state->affinity->empty() && PodMatchesAllTerms(in.required_affinity, pod))) {
    return sdk::Status::Unresolvable(kReasonAffinity);
  }
  for (const DomainSource& src : state->anti) {
    if (src.At(labels) > 0) return sdk::Status::Unschedulable(kReasonAntiAffinity);
  }
  for (const DomainSource& src : state->existing_anti) {
    if (src.At(labels) > 0) return sdk::Status::Unschedulable(kReasonExistingAnti);
  }
  return sdk::Status::Ok();
}

sdk::Status InterPodAffinity::PreScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                       const sdk::NodeList& nodes) {
  (void)call;
  if (nodes.empty()) return sdk::Status::Ok();
  std::shared_ptr<const PodAffinity> incoming;
  sdk::Status s = Incoming(cycle, pod, &incoming);
  if (!s.ok()) return s;
  const PodAffinity& in = *incoming;
  bool has_constraints = !in.preferred_affinity.empty() || !in.preferred_anti.empty();
  if (ignore_existing_preferred_ && !has_constraints) return sdk::Status::Skip();
  auto state = std::make_shared<InterPodScoreState>();
  state->incoming = incoming;
  // A group's sums (its pods on nodes with its topology key) times `factor`.
  auto add_group = [&state](int64_t factor) {
    return [&state, factor](const AffinityIndex::Group& g) {
      if (!g.sums.empty()) state->sources.push_back({&g.term.topology_key, &g.sums, factor});
    };
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    state->epoch = epoch_.fetch_add(1, std::memory_order_acq_rel) + 1;
    s = index_.Sync(*host_, cycle, FlagsKnown());
    if (!s.ok()) return s;
    for (const AffinityTerm& t : in.preferred_affinity) {
      s = AddMatching(cycle, t, t.weight, &state->sources);
      if (!s.ok()) return s;
    }
    for (const AffinityTerm& t : in.preferred_anti) {
      s = AddMatching(cycle, t, -t.weight, &state->sources);
      if (!s.ok()) return s;
    }
    if (hard_weight_ > 0) {
      index_.ForEachMatchingGroup(TermKind::kRequiredAffinity, pod, add_group(hard_weight_));
    }
    index_.ForEachMatchingGroup(TermKind::kPreferredAffinity, pod, add_group(1));
    index_.ForEachMatchingGroup(TermKind::kPreferredAnti, pod, add_group(-1));
  }
  if (state->sources.empty()) return sdk::Status::Skip();
  return score_cache_.Put(cycle, state);
}

sdk::Status InterPodAffinity::Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                    const sdk::NodeView& node, int64_t* score) {
  (void)call, (void)pod;
  *score = 0;
  std::shared_ptr<const InterPodScoreState> state = score_cache_.Get(cycle);
  if (state == nullptr) {
    return sdk::Status::Error("inter-pod-affinity: no PreScore state for this cycle");
  }
  if (state->epoch != epoch_.load(std::memory_order_acquire)) {
    return sdk::Status::Error("inter-pod-affinity: Score after a later PreFilter or PreScore");
  }
  sdk::Labels labels = node.labels();
  for (const DomainSource& src : state->sources) *score += src.At(labels);
  return sdk::Status::Ok();
}

sdk::Status InterPodAffinity::NormalizeScore(sdk::Call& call, sdk::Cycle& cycle,
                                             const sdk::PodView& pod, sdk::NodeScores& scores) {
  (void)call, (void)pod;
  std::shared_ptr<const InterPodScoreState> state = score_cache_.Get(cycle);
  if (state == nullptr || state->sources.empty()) return sdk::Status::Ok();
  int64_t min_count = std::numeric_limits<int64_t>::max();
  int64_t max_count = std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < scores.size(); ++i) {
    min_count = std::min(min_count, scores.score(i));
    max_count = std::max(max_count, scores.score(i));
  }
  int64_t diff = max_count - min_count;
  for (size_t i = 0; i < scores.size(); ++i) {
    double f = 0;
    if (diff > 0) {
      f = static_cast<double>(kMaxNodeScore) *
          (static_cast<double>(scores.score(i) - min_count) / static_cast<double>(diff));
    }
    scores.set_score(i, static_cast<int64_t>(f));
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::sched
