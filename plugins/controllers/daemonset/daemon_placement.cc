// DaemonSet pod placement (see daemon_placement.h).
#include "plugins/controllers/daemonset/daemon_placement.h"

#include "capstan/abi/sched.h"
#include "plugins/controllers/kit/history.h"

namespace capstan::controllers {
namespace {

constexpr char kTemplateGenerationLabel[] = "pod-template-generation";

void AddOrUpdateToleration(Json& spec, const Json& toleration) {
  auto same = [](const Json& a, const Json& b) {
    for (const char* f : {"key", "effect", "operator", "value"}) {
      if (GetStr(a, {f}) != GetStr(b, {f})) return false;
    }
    return true;
  };
  Json& list = spec["tolerations"];
  if (!list.is_array()) list = Json::array();
  for (Json& existing : list) {
    if (same(existing, toleration)) {
      existing = toleration;
      return;
    }
  }
  list.push_back(toleration);
}

// Node labels as the scheduler's selector code reads them; they point into `node`.
std::vector<capstan_sched_label> LabelsOf(const Json& node) {
  std::vector<capstan_sched_label> out;
  const Json* labels = Labels(node);
  if (labels == nullptr || !labels->is_object()) return out;
  for (const auto& [key, value] : labels->items()) {
    if (!value.is_string()) continue;
    const std::string& v = value.get_ref<const std::string&>();
    out.push_back({{key.data(), key.size()}, {v.data(), v.size()}});
  }
  return out;
}

}  // namespace

void AddDaemonTolerations(Json& pod_spec) {
  auto exists = [](const char* key, const char* effect) {
    return Json{{"key", key}, {"operator", "Exists"}, {"effect", effect}};
  };
  AddOrUpdateToleration(pod_spec, exists("node.kubernetes.io/not-ready", "NoExecute"));
  AddOrUpdateToleration(pod_spec, exists("node.kubernetes.io/unreachable", "NoExecute"));
  AddOrUpdateToleration(pod_spec, exists("node.kubernetes.io/disk-pressure", "NoSchedule"));
  AddOrUpdateToleration(pod_spec, exists("node.kubernetes.io/memory-pressure", "NoSchedule"));
  AddOrUpdateToleration(pod_spec, exists("node.kubernetes.io/pid-pressure", "NoSchedule"));
  AddOrUpdateToleration(pod_spec, exists("node.kubernetes.io/unschedulable", "NoSchedule"));
  if (sdk::json::GetBool(pod_spec, "hostNetwork").value_or(false)) {
    AddOrUpdateToleration(pod_spec, exists("node.kubernetes.io/network-unavailable", "NoSchedule"));
  }
}

Json DaemonPodTemplate(const Json& daemon_set, const std::string& hash,
                       std::optional<int64_t> template_generation) {
  const Json* tmpl = sdk::json::FindPath(daemon_set, {"spec", "template"});
  Json out = tmpl != nullptr && tmpl->is_object() ? *tmpl : Json::object();
  if (!out["spec"].is_object()) out["spec"] = Json::object();
  AddDaemonTolerations(out["spec"]);
  if (!out["metadata"].is_object()) out["metadata"] = Json::object();
  Json& labels = out["metadata"]["labels"];
  if (!labels.is_object()) labels = Json::object();
  if (template_generation) labels[kTemplateGenerationLabel] = std::to_string(*template_generation);
  if (!hash.empty()) labels[kControllerRevisionHashLabel] = hash;
  return out;
}

void PinToNode(Json& pod_spec, const std::string& node) {
  Json term = {{"matchFields", Json::array({{{"key", "metadata.name"},
                                             {"operator", "In"},
                                             {"values", Json::array({node})}}})}};
  Json& affinity = pod_spec["affinity"];
  if (!affinity.is_object()) affinity = Json::object();
  Json& node_affinity = affinity["nodeAffinity"];
  if (!node_affinity.is_object()) node_affinity = Json::object();
  node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
      {"nodeSelectorTerms", Json::array({term})}};
}

std::optional<std::string> TargetNodeName(const Json& pod) {
  std::string node = GetStr(pod, {"spec", "nodeName"});
  if (!node.empty()) return node;
  const Json* terms = sdk::json::FindPath(
      pod, {"spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms"});
  if (terms == nullptr || !terms->is_array()) return std::nullopt;
  for (const Json& term : *terms) {
    const Json* fields = sdk::json::GetArray(term, "matchFields");
    if (fields == nullptr) continue;
    for (const Json& req : *fields) {
      if (GetStr(req, {"key"}) != "metadata.name" || GetStr(req, {"operator"}) != "In") continue;
      const Json* values = sdk::json::GetArray(req, "values");
      if (values == nullptr || values->size() != 1 || !(*values)[0].is_string()) {
        return std::nullopt;
      }
      return (*values)[0].get<std::string>();
    }
  }
  return std::nullopt;
}

DaemonPlacement::DaemonPlacement(const Json& daemon_set) {
  const Json* spec_ptr = sdk::json::FindPath(daemon_set, {"spec", "template", "spec"});
  Json spec = spec_ptr != nullptr && spec_ptr->is_object() ? *spec_ptr : Json::object();
  AddDaemonTolerations(spec);
  node_name_ = GetStr(spec, {"nodeName"});
  if (const Json* sel = sdk::json::GetObject(spec, "nodeSelector")) {
    for (const auto& [k, v] : sel->items()) {
      node_selector_.emplace_back(k, v.is_string() ? v.get<std::string>() : std::string());
    }
  }
  if (const Json* required = sdk::json::FindPath(
          spec, {"affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"});
      required != nullptr && required->is_object()) {
    has_required_affinity_ = true;
    if (const Json* terms = sdk::json::GetArray(*required, "nodeSelectorTerms")) {
      for (const Json& t : *terms) required_terms_.push_back(sched::NodeSelectorTerm::Parse(t));
    }
  }
  for (const Json& t : spec["tolerations"]) {
    tolerations_.push_back(
        {GetStr(t, {"key"}), GetStr(t, {"value"}), GetStr(t, {"operator"}), GetStr(t, {"effect"})});
  }
}

// Upstream Toleration.ToleratesTaint.
bool DaemonPlacement::Tolerated(const std::string& key, const std::string& value,
                                const std::string& effect) const {
  for (const Toleration& t : tolerations_) {
    if (!t.effect.empty() && t.effect != effect) continue;
    if (!t.key.empty() && t.key != key) continue;
    if (t.op == "Exists") return true;
    if ((t.op.empty() || t.op == "Equal") && t.value == value) return true;
  }
  return false;
}

Placement DaemonPlacement::Evaluate(const Json& node) const {
  std::string name = Name(node);
  if (!node_name_.empty() && node_name_ != name) return {};
  for (const auto& [key, value] : node_selector_) {
    const Json* label = sdk::json::FindPath(node, {"metadata", "labels", key});
    if (label == nullptr || !label->is_string() || *label != value) return {};
  }
  if (has_required_affinity_) {
    std::vector<capstan_sched_label> raw = LabelsOf(node);
    sdk::Labels labels(raw.data(), raw.size());
    bool any = false;
    for (const sched::NodeSelectorTerm& term : required_terms_) {
      if (term.Matches(labels, name)) {
        any = true;
        break;
      }
    }
    if (!any) return {};
  }
  bool untolerated_no_schedule = false;
  bool untolerated_no_execute = false;
  const Json* taints = sdk::json::FindPath(node, {"spec", "taints"});
  for (const Json& taint : taints != nullptr && taints->is_array() ? *taints : Json::array()) {
    std::string effect = GetStr(taint, {"effect"});
    if (effect != "NoSchedule" && effect != "NoExecute") continue;
    if (Tolerated(GetStr(taint, {"key"}), GetStr(taint, {"value"}), effect)) continue;
    (effect == "NoExecute" ? untolerated_no_execute : untolerated_no_schedule) = true;
  }
  if (untolerated_no_execute) return {};
  if (untolerated_no_schedule) return {false, true};
  return {true, true};
}

}  // namespace capstan::controllers
