// Pod topology spread; see pod_topology_spread.h.
#include "plugins/sched/pod-topology-spread/pod_topology_spread.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "plugins/sched/common/object_json.h"
#include "plugins/sched/common/sched_util.h"

namespace capstan::sched {

sdk::Status PodTopologySpread::Init(const sdk::Host& host, std::string_view config_json) {
  (void)config_json;
  host_ = &host;
  return sdk::Status::Ok();
}

sdk::Status PodTopologySpread::Constraints(const sdk::Cycle& cycle, const sdk::PodView& pod,
                                           std::shared_ptr<const SpreadConstraints>* out) const {
  std::shared_ptr<const SpreadState> state = cache_.Get(cycle);
  if (state != nullptr) {
    *out = state->constraints;
    return sdk::Status::Ok();
  }
  sdk::json::Json pod_json;
  sdk::Status s =
      ObjectJsonWithAnyKey(cycle, pod.object(), {"topologySpreadConstraints"}, &pod_json);
  if (!s.ok()) return s;
  auto parsed = std::make_shared<SpreadConstraints>();
  s = SpreadConstraints::Parse(pod_json, pod, parsed.get());
  if (!s.ok()) return s;
  *out = std::move(parsed);
  return sdk::Status::Ok();
}

sdk::Status PodTopologySpread::PreFilter(sdk::Call& call, sdk::Cycle& cycle,
                                         const sdk::PodView& pod, std::string* node_names_json) {
  (void)call, (void)node_names_json;
  auto state = std::make_shared<SpreadState>();
  sdk::Status s = Constraints(cycle, pod, &state->constraints);
  if (!s.ok()) return s;
  if (!state->constraints->hard.empty()) {
    auto counts = std::make_shared<FilterCounts>();
    s = BuildFilterCounts(*host_, cycle, pod, *state->constraints, counts.get());
    if (!s.ok()) return s;
    state->filter = std::move(counts);
  }
  s = cache_.Put(cycle, state);
  if (!s.ok()) return s;
  return state->filter == nullptr ? sdk::Status::Skip() : sdk::Status::Ok();
}

sdk::Status PodTopologySpread::Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                      const sdk::NodeView& node) {
  (void)call, (void)pod;
  std::shared_ptr<const SpreadState> state = cache_.Get(cycle);
  if (state == nullptr || state->filter == nullptr) {
    return sdk::Status::Error("pod-topology-spread: no PreFilter state for this cycle");
  }
  const SpreadConstraints& sc = *state->constraints;
  const FilterCounts& fc = *state->filter;
  sdk::Labels labels = node.labels();
  for (size_t i = 0; i < sc.hard.size(); ++i) {
    const SpreadConstraint& c = sc.hard[i];
    std::optional<std::string_view> value = labels.Get(c.topology_key);
    if (!value) return sdk::Status::Unresolvable(kSpreadReasonMissingLabel);
    auto it = fc.counts[i].find(*value);
    int64_t match = it == fc.counts[i].end() ? 0 : it->second;
    int64_t skew = match + (c.self_match ? 1 : 0) - fc.min_match[i];
    if (skew > c.max_skew) return sdk::Status::Unschedulable(kSpreadReason);
  }
  return sdk::Status::Ok();
}

sdk::Status PodTopologySpread::PreScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                        const sdk::NodeList& nodes) {
  (void)call;
  if (nodes.empty()) return sdk::Status::Ok();
  std::shared_ptr<const SpreadState> prev = cache_.Get(cycle);
  auto state = std::make_shared<SpreadState>();
  if (prev != nullptr) *state = *prev;
  if (state->constraints == nullptr) {
    sdk::Status s = Constraints(cycle, pod, &state->constraints);
    if (!s.ok()) return s;
  }
  if (state->constraints->soft.empty()) return sdk::Status::Skip();
  auto counts = std::make_shared<ScoreCounts>();
  sdk::Status s = BuildScoreCounts(*host_, cycle, pod, *state->constraints, nodes, counts.get());
  if (!s.ok()) return s;
  state->score = std::move(counts);
  return cache_.Put(cycle, state);
}

sdk::Status PodTopologySpread::Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                     const sdk::NodeView& node, int64_t* score) {
  (void)call;
  *score = 0;
  std::shared_ptr<const SpreadState> state = cache_.Get(cycle);
  if (state == nullptr || state->score == nullptr) {
    return sdk::Status::Error("pod-topology-spread: no PreScore state for this cycle");
  }
  const ScoreCounts& counts = *state->score;
  if (counts.ignored_nodes.count(node.name()) > 0) return sdk::Status::Ok();
  const std::vector<SpreadConstraint>& cs = state->constraints->soft;
  sdk::Labels labels = node.labels();
  double sum = 0;
  for (size_t i = 0; i < cs.size(); ++i) {
    std::optional<std::string_view> value = labels.Get(cs[i].topology_key);
    if (!value) continue;
    int64_t count = 0;
    if (cs[i].topology_key == kHostnameLabel) {
      sdk::Span<capstan_sched_pod_view> pods;
      sdk::Status s = cycle.NodePods(node, &pods);
      if (!s.ok()) return s;
      count = CountMatching(pods, cs[i].selector, pod.namespace_name());
    } else {
      auto it = counts.counts[i].find(*value);
      if (it != counts.counts[i].end()) count = it->second;
    }
    sum += static_cast<double>(count) * counts.weights[i] + static_cast<double>(cs[i].max_skew - 1);
  }
  *score = std::llround(sum);
  return sdk::Status::Ok();
}

sdk::Status PodTopologySpread::NormalizeScore(sdk::Call& call, sdk::Cycle& cycle,
                                              const sdk::PodView& pod, sdk::NodeScores& scores) {
  (void)call, (void)pod;
  std::shared_ptr<const SpreadState> state = cache_.Get(cycle);
  if (state == nullptr || state->score == nullptr) return sdk::Status::Ok();
  const NameSet& ignored = state->score->ignored_nodes;
  int64_t min_score = std::numeric_limits<int64_t>::max(), max_score = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (ignored.count(scores.node_name(i)) > 0) continue;
    min_score = std::min(min_score, scores.score(i));
    max_score = std::max(max_score, scores.score(i));
  }
  for (size_t i = 0; i < scores.size(); ++i) {
    if (ignored.count(scores.node_name(i)) > 0) {
      scores.set_score(i, 0);
    } else if (max_score == 0) {
      scores.set_score(i, kMaxNodeScore);
    } else {
      scores.set_score(i, kMaxNodeScore * (max_score + min_score - scores.score(i)) / max_score);
    }
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::sched
