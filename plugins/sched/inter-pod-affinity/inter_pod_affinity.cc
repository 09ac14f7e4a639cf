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

// Adds `n` to the domain of `node` for every term (of `terms`) that `target` matches.
template <typename Add>
void CountTerms(const std::vector<AffinityTerm>& terms, const sdk::PodView& target,
                const sdk::NodeView& node, Add&& add) {
  if (terms.empty()) return;
  sdk::Labels labels = node.labels();
  for (const AffinityTerm& t : terms) {
    std::optional<std::string_view> value = labels.Get(t.topology_key);
    if (value && t.Matches(target)) add(t, *value);
  }
}

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

const PodAffinity* InterPodAffinity::Existing(const sdk::Cycle& cycle, const sdk::PodView& pod,
                                              bool gated) {
  if (gated && (pod.flags() & CAPSTAN_SCHED_POD_HAS_AFFINITY) == 0) return nullptr;
  return existing_.Get(cycle, pod);
}

DomainCounts& InterPodScoreState::For(const std::string& key) {
  for (auto& [k, counts] : scores) {
    if (k == key) return counts;
  }
  scores.emplace_back(key, DomainCounts());
  return scores.back().second;
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

sdk::Status InterPodAffinity::PreFilter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                        std::string* node_names_json) {
  (void)call, (void)node_names_json;
  auto state = std::make_shared<InterPodFilterState>();
  sdk::Status s = Incoming(cycle, pod, &state->incoming);
  if (!s.ok()) return s;
  const PodAffinity& in = *state->incoming;
  size_t hint = size_hint_.load(std::memory_order_relaxed);
  state->existing_anti.Reserve(hint);
  state->anti.Reserve(hint);
  state->affinity.Reserve(hint);
  // Without required terms of its own, the pod only has to respect existing pods' required
  // anti-affinity: visit just the nodes holding such pods (all nodes on older hosts).
  bool own_terms = !in.required_affinity.empty() || !in.required_anti.empty();
  bool gated = FlagsKnown();
  auto visit = [&](const sdk::NodeView& node, sdk::Span<capstan_sched_pod_view> pods) {
    for (const capstan_sched_pod_view& raw : pods) {
      sdk::PodView existing(&raw);
      if (const PodAffinity* ex = Existing(cycle, existing, gated)) {
        CountTerms(ex->required_anti, pod, node, [&](const AffinityTerm& t, auto v) {
          state->existing_anti.Add(t.topology_key, v, 1);
        });
      }
      CountTerms(in.required_affinity, existing, node,
                 [&](const AffinityTerm& t, auto v) { state->affinity.Add(t.topology_key, v, 1); });
      CountTerms(in.required_anti, existing, node,
                 [&](const AffinityTerm& t, auto v) { state->anti.Add(t.topology_key, v, 1); });
    }
  };
  std::lock_guard<std::mutex> lock(existing_.mu());
  existing_.BeginPass();
  bool filtered = false;
  s = own_terms
          ? ForEachSnapshotNode(*host_, cycle, visit)
          : ForEachNodeWithPodFlag(*host_, cycle, CAPSTAN_SCHED_POD_HAS_REQUIRED_ANTI_AFFINITY,
                                   &filtered, visit);
  if (!s.ok()) return s;
  existing_.EndPass(/*complete=*/!filtered);
  size_hint_.store(std::max({state->existing_anti.max_size(), state->anti.max_size(),
                             state->affinity.max_size()}),
                   std::memory_order_relaxed);
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
  const PodAffinity& in = *state->incoming;
  sdk::Labels labels = node.labels();
  // Required affinity: every term's domain on this node must hold a matching pod, except for
  // the first pod of a group that matches its own terms while no pod matches anywhere.
  bool pods_exist = true;
  for (const AffinityTerm& t : in.required_affinity) {
    std::optional<std::string_view> value = labels.Get(t.topology_key);
    if (!value) return sdk::Status::Unresolvable(kReasonAffinity);
    if (state->affinity.Get(t.topology_key, *value) <= 0) pods_exist = false;
  }
  if (!pods_exist && !(state->affinity.empty() && PodMatchesAllTerms(in.required_affinity, pod))) {
    return sdk::Status::Unresolvable(kReasonAffinity);
  }
  if (!state->anti.empty()) {
    for (const AffinityTerm& t : in.required_anti) {
      std::optional<std::string_view> value = labels.Get(t.topology_key);
      if (value && state->anti.Get(t.topology_key, *value) > 0) {
        return sdk::Status::Unschedulable(kReasonAntiAffinity);
      }
    }
  }
  if (state->existing_anti.AnyPositive(labels)) {
    return sdk::Status::Unschedulable(kReasonExistingAnti);
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
  auto add = [&](const AffinityTerm& t, std::string_view value, int64_t n) {
    if (n == 0) return;
    DomainCounts& counts = state->For(t.topology_key);
    auto it = counts.find(value);
    if (it == counts.end()) it = counts.emplace(value, 0).first;
    it->second += n;
  };
  bool gated = FlagsKnown();
  auto visit = [&](const sdk::NodeView& node, sdk::Span<capstan_sched_pod_view> pods) {
    if (node.labels().empty()) return;
    for (const capstan_sched_pod_view& raw : pods) {
      sdk::PodView existing(&raw);
      CountTerms(in.preferred_affinity, existing, node,
                 [&](const AffinityTerm& t, auto v) { add(t, v, t.weight); });
      CountTerms(in.preferred_anti, existing, node,
                 [&](const AffinityTerm& t, auto v) { add(t, v, -t.weight); });
      const PodAffinity* ex = Existing(cycle, existing, gated);
      if (ex == nullptr) continue;
      if (hard_weight_ > 0) {
        CountTerms(ex->required_affinity, pod, node,
                   [&](const AffinityTerm& t, auto v) { add(t, v, hard_weight_); });
      }
      CountTerms(ex->preferred_affinity, pod, node,
                 [&](const AffinityTerm& t, auto v) { add(t, v, t.weight); });
      CountTerms(ex->preferred_anti, pod, node,
                 [&](const AffinityTerm& t, auto v) { add(t, v, -t.weight); });
    }
  };
  std::lock_guard<std::mutex> lock(existing_.mu());
  existing_.BeginPass();
  // Without preferred terms of its own, only existing pods' terms score: visit just the nodes
  // holding pods with affinity terms. Either walk sees every pod that can have an entry.
  bool filtered = false;
  s = has_constraints
          ? ForEachSnapshotNode(*host_, cycle, visit)
          : ForEachNodeWithPodFlag(*host_, cycle, CAPSTAN_SCHED_POD_HAS_AFFINITY, &filtered, visit);
  if (!s.ok()) return s;
  existing_.EndPass(/*complete=*/true);
  if (state->scores.empty()) return sdk::Status::Skip();
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
  sdk::Labels labels = node.labels();
  for (const auto& [key, counts] : state->scores) {
    std::optional<std::string_view> value = labels.Get(key);
    if (!value) continue;
    auto it = counts.find(*value);
    if (it != counts.end()) *score += it->second;
  }
  return sdk::Status::Ok();
}

sdk::Status InterPodAffinity::NormalizeScore(sdk::Call& call, sdk::Cycle& cycle,
                                             const sdk::PodView& pod, sdk::NodeScores& scores) {
  (void)call, (void)pod;
  std::shared_ptr<const InterPodScoreState> state = score_cache_.Get(cycle);
  if (state == nullptr || state->scores.empty()) return sdk::Status::Ok();
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
