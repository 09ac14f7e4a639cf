// Parsing and counting for pod-topology-spread; see spread_state.h.
#include "plugins/sched/pod-topology-spread/spread_state.h"

#include <cmath>
#include <limits>

#include "plugins/sched/common/sched_util.h"
#include "plugins/sched/common/snapshot_nodes.h"

namespace capstan::sched {
namespace {

using sdk::json::Json;

sdk::Status ParseOne(const Json& j, const sdk::PodView& pod, SpreadConstraint* c) {
  if (!j.is_object()) return sdk::Status::Invalid("topologySpreadConstraints[] is not an object");
  c->max_skew = static_cast<int32_t>(sdk::json::GetInt(j, "maxSkew").value_or(0));
  c->topology_key = sdk::json::GetString(j, "topologyKey").value_or("");
  if (c->max_skew <= 0 || c->topology_key.empty()) {
    return sdk::Status::Invalid("topology spread constraint needs maxSkew > 0 and topologyKey");
  }
  std::string when = sdk::json::GetString(j, "whenUnsatisfiable").value_or("DoNotSchedule");
  c->hard = when != "ScheduleAnyway";
  const Json* sel = sdk::json::Find(j, "labelSelector");
  sdk::Status s = LabelSelector::Parse(sel != nullptr ? *sel : Json(), &c->selector);
  if (!s.ok()) return s;
  if (const Json* keys = sdk::json::GetArray(j, "matchLabelKeys")) {
    for (const Json& k : *keys) {
      std::optional<std::string> key = sdk::json::AsString(k);
      if (!key) continue;
      std::optional<std::string_view> value = pod.labels().Get(*key);
      if (!value) continue;
      Requirement r;
      r.key = *key;
      r.values.emplace_back(*value);
      c->selector.Add(std::move(r));
    }
  }
  c->min_domains = static_cast<int32_t>(sdk::json::GetInt(j, "minDomains").value_or(1));
  c->honor_node_affinity =
      sdk::json::GetString(j, "nodeAffinityPolicy").value_or("Honor") != "Ignore";
  c->honor_node_taints = sdk::json::GetString(j, "nodeTaintsPolicy").value_or("Ignore") == "Honor";
  c->self_match = c->selector.Matches(pod.labels());
  return sdk::Status::Ok();
}

}  // namespace

sdk::Status SpreadConstraints::Parse(const Json& pod_json, const sdk::PodView& pod,
                                     SpreadConstraints* out) {
  *out = SpreadConstraints();
  const Json* list = sdk::json::FindPath(pod_json, {"spec", "topologySpreadConstraints"});
  if (list == nullptr || !list->is_array()) return sdk::Status::Ok();
  for (const Json& j : *list) {
    SpreadConstraint c;
    sdk::Status s = ParseOne(j, pod, &c);
    if (!s.ok()) return s;
    (c.hard ? out->hard : out->soft).push_back(std::move(c));
  }
  out->affinity =
      NodeAffinityTerms::Parse(sdk::json::FindPath(pod_json, {"spec", "affinity", "nodeAffinity"}));
  return sdk::Status::Ok();
}

bool SpreadConstraints::Includes(const SpreadConstraint& c, const sdk::PodView& pod,
                                 const sdk::NodeView& node) const {
  if (c.honor_node_affinity &&
      (!MatchesNodeSelector(pod.node_selector(), node.labels()) || !affinity.RequiredMatch(node))) {
    return false;
  }
  if (c.honor_node_taints) {
    for (const capstan_sched_taint& t : node.taints()) {
      if (t.effect != CAPSTAN_TAINT_NO_SCHEDULE && t.effect != CAPSTAN_TAINT_NO_EXECUTE) continue;
      if (!AnyToleratesTaint(pod.tolerations(), sdk::ToView(t.key), sdk::ToView(t.value),
                             t.effect)) {
        return false;
      }
    }
  }
  return true;
}

int64_t CountMatching(sdk::Span<capstan_sched_pod_view> pods, const LabelSelector& selector,
                      std::string_view ns) {
  int64_t n = 0;
  for (const capstan_sched_pod_view& raw : pods) {
    sdk::PodView p(&raw);
    if (p.namespace_name() == ns && selector.Matches(p.labels())) ++n;
  }
  return n;
}

bool HasAllKeys(const sdk::NodeView& node, const std::vector<SpreadConstraint>& constraints) {
  sdk::Labels labels = node.labels();
  for (const SpreadConstraint& c : constraints) {
    if (!labels.Contains(c.topology_key)) return false;
  }
  return true;
}

sdk::Status BuildFilterCounts(const sdk::Host& host, const sdk::Cycle& cycle,
                              const sdk::PodView& pod, const SpreadConstraints& sc,
                              FilterCounts* out) {
  out->counts.assign(sc.hard.size(), DomainCounts());
  sdk::Status s = ForEachSnapshotNode(
      host, cycle, [&](const sdk::NodeView& node, sdk::Span<capstan_sched_pod_view> pods) {
        if (!HasAllKeys(node, sc.hard)) return;
        for (size_t i = 0; i < sc.hard.size(); ++i) {
          const SpreadConstraint& c = sc.hard[i];
          if (!sc.Includes(c, pod, node)) continue;
          std::string_view value = *node.labels().Get(c.topology_key);
          auto it = out->counts[i].find(value);
          if (it == out->counts[i].end()) it = out->counts[i].emplace(value, 0).first;
          it->second += CountMatching(pods, c.selector, pod.namespace_name());
        }
      });
  if (!s.ok()) return s;
  out->min_match.assign(sc.hard.size(), std::numeric_limits<int32_t>::max());
  for (size_t i = 0; i < sc.hard.size(); ++i) {
    for (const auto& [value, n] : out->counts[i]) {
      out->min_match[i] = std::min(out->min_match[i], n);
    }
    // Fewer domains than minDomains: the global minimum is treated as 0.
    if (static_cast<int64_t>(out->counts[i].size()) < sc.hard[i].min_domains) {
      out->min_match[i] = 0;
    }
  }
  return sdk::Status::Ok();
}

sdk::Status BuildScoreCounts(const sdk::Host& host, const sdk::Cycle& cycle,
                             const sdk::PodView& pod, const SpreadConstraints& sc,
                             const sdk::NodeList& feasible, ScoreCounts* out) {
  const std::vector<SpreadConstraint>& cs = sc.soft;
  out->counts.assign(cs.size(), DomainCounts());
  out->weights.assign(cs.size(), 0);
  std::vector<size_t> sizes(cs.size(), 0);
  for (size_t n = 0; n < feasible.size(); ++n) {
    sdk::NodeView node = feasible[n];
    if (!HasAllKeys(node, cs)) {
      out->ignored_nodes.emplace(node.name());
      continue;
    }
    for (size_t i = 0; i < cs.size(); ++i) {
      if (cs[i].topology_key == kHostnameLabel) continue;
      if (out->counts[i].emplace(*node.labels().Get(cs[i].topology_key), 0).second) ++sizes[i];
    }
  }
  for (size_t i = 0; i < cs.size(); ++i) {
    size_t size = cs[i].topology_key == kHostnameLabel ? feasible.size() - out->ignored_nodes.size()
                                                       : sizes[i];
    out->weights[i] = std::log(static_cast<double>(size + 2));
  }
  return ForEachSnapshotNode(
      host, cycle, [&](const sdk::NodeView& node, sdk::Span<capstan_sched_pod_view> pods) {
        if (!HasAllKeys(node, cs)) return;
        for (size_t i = 0; i < cs.size(); ++i) {
          if (!sc.Includes(cs[i], pod, node)) continue;
          auto it = out->counts[i].find(*node.labels().Get(cs[i].topology_key));
          if (it == out->counts[i].end()) continue;
          it->second += CountMatching(pods, cs[i].selector, pod.namespace_name());
        }
      });
}

}  // namespace capstan::sched
