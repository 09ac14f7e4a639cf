// Node selector and node affinity; see node_affinity.h.
#include "plugins/sched/node-affinity/node_affinity.h"

#include <set>

#include "capstan/sdk/json.h"
#include "capstan/sdk/text.h"
#include "plugins/sched/common/object_json.h"
#include "plugins/sched/common/sched_util.h"

namespace capstan::sched {
namespace {

using sdk::json::Json;

}  // namespace

sdk::Status NodeAffinity::Init(const sdk::Host& host, std::string_view config_json) {
  (void)host;
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  added_ = NodeAffinityTerms::Parse(sdk::json::GetObject(*config, "addedAffinity"));
  return sdk::Status::Ok();
}

sdk::Status NodeAffinity::Terms(const sdk::Cycle& cycle, const sdk::PodView& pod, bool store,
                                std::shared_ptr<const NodeAffinityTerms>* out) {
  *out = cache_.Get(cycle);
  if (*out != nullptr) return sdk::Status::Ok();
  Json pod_json;
  sdk::Status s = ObjectJsonWithAnyKey(cycle, pod.object(), {"nodeAffinity"}, &pod_json);
  if (!s.ok()) return s;
  auto terms = std::make_shared<const NodeAffinityTerms>(NodeAffinityTerms::Parse(
      sdk::json::FindPath(pod_json, {"spec", "affinity", "nodeAffinity"})));
  // Without cycle state the terms are reparsed per call: correct, only slower.
  if (store) (void)cache_.Put(cycle, terms);
  *out = std::move(terms);
  return sdk::Status::Ok();
}

sdk::Status NodeAffinity::PreFilter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                    std::string* node_names_json) {
  (void)call;
  std::shared_ptr<const NodeAffinityTerms> terms;
  sdk::Status s = Terms(cycle, pod, /*store=*/true, &terms);
  if (!s.ok()) return s;
  if (!terms->has_required && !added_.has_required && pod.node_selector().empty()) {
    return sdk::Status::Skip();
  }
  if (!terms->has_required || terms->required.empty()) return sdk::Status::Ok();
  // Required terms that all pin metadata.name restrict the nodes to the union of those names.
  std::set<std::string> names;
  for (const NodeSelectorTerm& term : terms->required) {
    bool any = false;
    std::vector<std::string> these = term.NodeNames(&any);
    if (!any) return sdk::Status::Ok();
    names.insert(these.begin(), these.end());
  }
  if (names.empty()) return sdk::Status::Unresolvable(kNodeAffinityReasonConflict);
  node_names_json->assign("[");
  for (const std::string& n : names) {
    if (node_names_json->size() > 1) node_names_json->push_back(',');
    sdk::AppendJsonString(node_names_json, n);
  }
  node_names_json->push_back(']');
  return sdk::Status::Ok();
}

sdk::Status NodeAffinity::Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                 const sdk::NodeView& node) {
  (void)call;
  if (!added_.RequiredMatch(node)) return sdk::Status::Unresolvable(kNodeAffinityReasonEnforced);
  if (!MatchesNodeSelector(pod.node_selector(), node.labels())) {
    return sdk::Status::Unresolvable(kNodeAffinityReasonPod);
  }
  std::shared_ptr<const NodeAffinityTerms> terms;
  sdk::Status s = Terms(cycle, pod, /*store=*/false, &terms);
  if (!s.ok()) return s;
  if (!terms->RequiredMatch(node)) return sdk::Status::Unresolvable(kNodeAffinityReasonPod);
  return sdk::Status::Ok();
}

sdk::Status NodeAffinity::PreScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                   const sdk::NodeList& nodes) {
  (void)call;
  if (nodes.empty()) return sdk::Status::Ok();
  std::shared_ptr<const NodeAffinityTerms> terms;
  sdk::Status s = Terms(cycle, pod, /*store=*/true, &terms);
  if (!s.ok()) return s;
  bool none = terms->preferred.empty() && added_.preferred.empty();
  return none ? sdk::Status::Skip() : sdk::Status::Ok();
}

sdk::Status NodeAffinity::Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                const sdk::NodeView& node, int64_t* score) {
  (void)call;
  std::shared_ptr<const NodeAffinityTerms> terms;
  sdk::Status s = Terms(cycle, pod, /*store=*/false, &terms);
  if (!s.ok()) return s;
  *score = added_.PreferredScore(node) + terms->PreferredScore(node);
  return sdk::Status::Ok();
}

sdk::Status NodeAffinity::NormalizeScore(sdk::Call& call, sdk::Cycle& cycle,
                                         const sdk::PodView& pod, sdk::NodeScores& scores) {
  (void)call, (void)cycle, (void)pod;
  DefaultNormalizeScore(kMaxNodeScore, /*reverse=*/false, scores);
  return sdk::Status::Ok();
}

}  // namespace capstan::sched
