// Workload strategies: Deployment, ReplicaSet, StatefulSet, DaemonSet, ReplicationController
// (workload_strategy.h).
#include "core/registry/workload_strategy.h"

#include "core/registry/field_validation.h"
#include "core/registry/pod_defaults.h"
#include "core/registry/pod_strategy.h"
#include "core/registry/pod_validation.h"

namespace capstan::registry {
namespace {

const char* KindName(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::kDeployment:
      return "Deployment";
    case WorkloadKind::kReplicaSet:
      return "ReplicaSet";
    case WorkloadKind::kStatefulSet:
      return "StatefulSet";
    case WorkloadKind::kDaemonSet:
      return "DaemonSet";
    case WorkloadKind::kReplicationController:
      return "ReplicationController";
  }
  return "";
}

const Json& SpecOf(const Json& obj) {
  static const Json kEmpty = Json::object();
  const Json* spec = ObjectIn(obj, "spec");
  return spec != nullptr ? *spec : kEmpty;
}

const Json* TemplateLabels(const Json& spec) {
  const Json* tmpl = ObjectIn(spec, "template");
  const Json* meta = tmpl != nullptr ? ObjectIn(*tmpl, "metadata") : nullptr;
  return meta != nullptr ? Find(*meta, "labels") : nullptr;
}

std::string TemplateRestartPolicy(const Json& spec) {
  const Json* tmpl = ObjectIn(spec, "template");
  const Json* pod = tmpl != nullptr ? ObjectIn(*tmpl, "spec") : nullptr;
  return pod != nullptr ? Str(*pod, "restartPolicy") : "";
}

bool TemplateHasDeadline(const Json& spec) {
  const Json* tmpl = ObjectIn(spec, "template");
  const Json* pod = tmpl != nullptr ? ObjectIn(*tmpl, "spec") : nullptr;
  return pod != nullptr && Has(*pod, "activeDeadlineSeconds");
}

void DefaultRollingUpdate(Json& strategy, const Json& max_unavailable, const Json& max_surge) {
  SetDefaultString(strategy, "type", "RollingUpdate");
  if (Str(strategy, "type") != "RollingUpdate") return;
  if (Json* ru = ObjectAt(strategy, "rollingUpdate")) {
    SetDefault(*ru, "maxUnavailable", max_unavailable);
    SetDefault(*ru, "maxSurge", max_surge);
  }
}

void DefaultStatefulSet(Json& spec) {
  SetDefaultString(spec, "podManagementPolicy", "OrderedReady");
  if (Json* us = ObjectAt(spec, "updateStrategy")) {
    if (Str(*us, "type").empty()) {
      (*us)["type"] = "RollingUpdate";
      SetDefault(*us, "rollingUpdate", Json::object());
    }
    if (Str(*us, "type") == "RollingUpdate") {
      if (Json* ru = Find(*us, "rollingUpdate"); ru != nullptr && ru->is_object()) {
        SetDefault(*ru, "partition", 0);
      }
    }
  }
  if (Json* policy = ObjectAt(spec, "persistentVolumeClaimRetentionPolicy")) {
    SetDefaultString(*policy, "whenDeleted", "Retain");
    SetDefaultString(*policy, "whenScaled", "Retain");
  }
  SetDefault(spec, "replicas", 1);
  SetDefault(spec, "revisionHistoryLimit", 10);
  if (Json* claims = ArrayAt(spec, "volumeClaimTemplates")) {
    for (Json& pvc : *claims) {
      if (!pvc.is_object()) continue;
      SetDefault(pvc, "apiVersion", "v1");
      SetDefault(pvc, "kind", "PersistentVolumeClaim");
      if (Json* meta = ObjectAt(pvc, "metadata");
          meta != nullptr && !meta->contains("creationTimestamp")) {
        (*meta)["creationTimestamp"] = nullptr;
      }
      if (Json* s = ObjectAt(pvc, "spec")) SetDefault(*s, "volumeMode", "Filesystem");
      if (Json* st = ObjectAt(pvc, "status")) SetDefaultString(*st, "phase", "Pending");
    }
  }
}

// A StatefulSet's pod template with a `persistentVolumeClaim` volume for every claim template
// the template does not already name (what the controller gives each pod).
Json WithClaimTemplateVolumes(const Json& spec, const Json& tmpl) {
  const Json* claims = Find(spec, "volumeClaimTemplates");
  if (claims == nullptr || !claims->is_array() || !tmpl.is_object()) return tmpl;
  Json out = tmpl;
  Json& pod = out["spec"];
  if (!pod.is_object()) return tmpl;
  Json& volumes = pod["volumes"];
  if (!volumes.is_array()) volumes = Json::array();
  for (const Json& claim : *claims) {
    const Json* meta = claim.is_object() ? Find(claim, "metadata") : nullptr;
    const Json* name = meta != nullptr && meta->is_object() ? Find(*meta, "name") : nullptr;
    if (name == nullptr || !name->is_string()) continue;
    bool named = false;
    for (const Json& v : volumes)
      named |= v.is_object() && v.value("name", "") == name->get_ref<const std::string&>();
    if (!named) {
      volumes.push_back({{"name", *name}, {"persistentVolumeClaim", {{"claimName", *name}}}});
    }
  }
  return out;
}

// The "selector matches template" family of checks shared by the kinds.
void ValidateSelectorAndTemplate(const Json& spec, WorkloadKind kind, FieldErrors* errs) {
  const Json* sel = Find(spec, "selector");
  const Json* labels = TemplateLabels(spec);
  const char* kind_lower = kind == WorkloadKind::kStatefulSet ? "statefulset"
                           : kind == WorkloadKind::kDaemonSet ? "daemonset"
                                                              : "deployment";
  if (kind == WorkloadKind::kReplicationController) {
    if (sel == nullptr || !sel->is_object() || sel->empty()) {
      errs->Required("spec.selector");
    } else {
      ValidateLabels(sel, "spec.selector", errs);
    }
  } else if (sel == nullptr) {
    if (kind != WorkloadKind::kDaemonSet) errs->Required("spec.selector");
  } else {
    ValidateLabelSelector(*sel, "spec.selector", errs);
    if (sel->is_object() && SelectorIsEmpty(*sel)) {
      errs->InvalidRendered("spec.selector", GoLabelSelector(*sel),
                            std::string("empty selector is invalid for ") + kind_lower);
    }
  }
  const Json* tmpl = Find(spec, "template");
  if (tmpl == nullptr) {
    errs->Required("spec.template");
    return;
  }
  bool matches = true;
  bool check = true;
  if (kind == WorkloadKind::kReplicationController) {
    check = sel != nullptr && sel->is_object() && !sel->empty();
    Json as_selector = {{"matchLabels", sel != nullptr ? *sel : Json::object()}};
    matches = !check || SelectorMatches(&as_selector, labels);
  } else if (sel == nullptr || sel->is_object()) {
    check = sel == nullptr || !SelectorIsEmpty(*sel);
    matches = !check || SelectorMatches(sel, labels);
  }
  if (!matches) {
    errs->Invalid("spec.template.metadata.labels", labels != nullptr ? *labels : Json(),
                  "`selector` does not match template `labels`");
  }
  if (kind == WorkloadKind::kStatefulSet) {
    // The controller adds a volume per claim template to each pod, so mounts may name them.
    ValidatePodTemplateSpec(WithClaimTemplateVolumes(spec, *tmpl), "spec.template", errs);
  } else {
    ValidatePodTemplateSpec(*tmpl, "spec.template", errs);
  }
  std::string rp = TemplateRestartPolicy(spec);
  if (rp != "Always") {
    errs->NotSupported("spec.template.spec.restartPolicy", rp, {"Always"});
  }
  if (TemplateHasDeadline(spec) && kind == WorkloadKind::kDaemonSet) {
    const Json& pod = spec["template"]["spec"];
    errs->Invalid("spec.template.spec.activeDeadlineSeconds", pod["activeDeadlineSeconds"],
                  "activeDeadlineSeconds in DaemonSet is not Supported");
  } else if (TemplateHasDeadline(spec)) {
    std::string msg = std::string("activeDeadlineSeconds in ") +
                      (kind == WorkloadKind::kDeployment ? "ReplicaSet" : KindName(kind)) +
                      " is not Supported";
    errs->Forbidden("spec.template.spec.activeDeadlineSeconds", msg);
  }
}

void ValidateIntOrPercent(const Json* v, const std::string& path, FieldErrors* errs) {
  if (v == nullptr) return;
  if (v->is_string()) {
    for (const std::string& m : IsValidPercent(v->get<std::string>())) {
      errs->InvalidRendered(path, GoIntOrString(*v), m);
    }
  } else if (v->is_number_integer()) {
    ValidateNonnegative(v->get<int64_t>(), path, errs);
  }
}

int64_t IntOrPercentValue(const Json* v) {
  if (v == nullptr) return 0;
  if (v->is_number_integer()) return v->get<int64_t>();
  std::string s = v->is_string() ? v->get<std::string>() : "";
  if (!s.empty() && s.back() == '%') s.pop_back();
  int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n;
}

void ValidateDeploymentStrategy(const Json& spec, FieldErrors* errs) {
  const Json* strategy = ObjectIn(spec, "strategy");
  std::string type = strategy != nullptr ? Str(*strategy, "type") : "";
  const Json* ru = strategy != nullptr ? ObjectIn(*strategy, "rollingUpdate") : nullptr;
  if (type == "Recreate") {
    if (ru != nullptr) {
      errs->Forbidden("spec.strategy.rollingUpdate",
                      "may not be specified when strategy `type` is 'Recreate'");
    }
  } else if (type == "RollingUpdate") {
    if (ru == nullptr) {
      errs->Required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil");
      return;
    }
    const Json* mu = Find(*ru, "maxUnavailable");
    const Json* ms = Find(*ru, "maxSurge");
    ValidateIntOrPercent(mu, "spec.strategy.rollingUpdate.maxUnavailable", errs);
    ValidateIntOrPercent(ms, "spec.strategy.rollingUpdate.maxSurge", errs);
    if (IntOrPercentValue(mu) == 0 && IntOrPercentValue(ms) == 0) {
      errs->InvalidRendered("spec.strategy.rollingUpdate.maxUnavailable",
                            GoIntOrString(mu != nullptr ? *mu : Json(0)),
                            "may not be 0 when `maxSurge` is 0");
    }
    if (mu != nullptr && mu->is_string() && IntOrPercentValue(mu) > 100) {
      errs->InvalidRendered("spec.strategy.rollingUpdate.maxUnavailable", GoIntOrString(*mu),
                            "must not be greater than 100%");
    }
  } else {
    errs->NotSupportedRendered(
        "spec.strategy", "apps.DeploymentStrategy{Type:" + GoQuoted(type) + ", RollingUpdate:...}",
        {"Recreate", "RollingUpdate"});
  }
}

void ValidateSpec(const Json& spec, WorkloadKind kind, FieldErrors* errs) {
  if (kind != WorkloadKind::kDaemonSet) {
    ValidateOptionalNonnegative(spec, "replicas", "spec.replicas", errs);
  }
  ValidateOptionalNonnegative(spec, "minReadySeconds", "spec.minReadySeconds", errs);
  ValidateOptionalNonnegative(spec, "revisionHistoryLimit", "spec.revisionHistoryLimit", errs);
  if (kind == WorkloadKind::kStatefulSet) {
    std::string pmp = Str(spec, "podManagementPolicy");
    if (pmp.empty()) {
      errs->Required("spec.podManagementPolicy");
    } else if (pmp != "OrderedReady" && pmp != "Parallel") {
      errs->Invalid("spec.podManagementPolicy", pmp, "must be 'OrderedReady' or 'Parallel'");
    }
    const Json* us = ObjectIn(spec, "updateStrategy");
    std::string type = us != nullptr ? Str(*us, "type") : "";
    if (type.empty()) {
      errs->Required("spec.updateStrategy");
    } else if (type == "OnDelete" && Has(*us, "rollingUpdate")) {
      errs->Invalid("spec.updateStrategy.rollingUpdate", (*us)["rollingUpdate"],
                    "only allowed for updateStrategy 'RollingUpdate'");
    } else if (type == "RollingUpdate") {
      if (const Json* ru = ObjectIn(*us, "rollingUpdate")) {
        ValidateOptionalNonnegative(*ru, "partition", "spec.updateStrategy.rollingUpdate.partition",
                                    errs);
      }
    } else if (type != "OnDelete") {
      errs->Invalid("spec.updateStrategy", *us, "must be 'RollingUpdate' or 'OnDelete'");
    }
  }
  if (kind == WorkloadKind::kDaemonSet) {
    const Json* us = ObjectIn(spec, "updateStrategy");
    std::string type = us != nullptr ? Str(*us, "type") : "";
    if (type == "RollingUpdate") {
      const Json* ru = ObjectIn(*us, "rollingUpdate");
      if (ru == nullptr) {
        errs->Required("spec.updateStrategy.rollingUpdate");
      } else {
        ValidateIntOrPercent(Find(*ru, "maxUnavailable"),
                             "spec.updateStrategy.rollingUpdate.maxUnavailable", errs);
        ValidateIntOrPercent(Find(*ru, "maxSurge"), "spec.updateStrategy.rollingUpdate.maxSurge",
                             errs);
      }
    } else if (type != "OnDelete") {
      errs->NotSupportedRendered("spec.updateStrategy",
                                 "apps.DaemonSetUpdateStrategy{Type:" + GoQuoted(type) +
                                     ", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}",
                                 {"RollingUpdate", "OnDelete"});
    }
  }
  ValidateSelectorAndTemplate(spec, kind, errs);
  if (kind == WorkloadKind::kDeployment) {
    ValidateDeploymentStrategy(spec, errs);
    ValidateOptionalNonnegative(spec, "progressDeadlineSeconds", "spec.progressDeadlineSeconds",
                                errs);
    if (const Json* pds = Find(spec, "progressDeadlineSeconds");
        pds != nullptr && pds->is_number_integer() &&
        pds->get<int64_t>() <= Int(spec, "minReadySeconds")) {
      errs->Invalid("spec.progressDeadlineSeconds", *pds, "must be greater than minReadySeconds");
    }
  }
}

}  // namespace

WorkloadStrategy::WorkloadStrategy(WorkloadKind kind)
    : StrategyBase(KindName(kind), kind == WorkloadKind::kReplicationController ? "v1" : "apps/v1"),
      kind_(kind) {}

Status WorkloadStrategy::Default(Json& obj) {
  Json* spec = ObjectAt(obj, "spec");
  if (spec == nullptr) return DecodeError("spec must be an object");
  switch (kind_) {
    case WorkloadKind::kDeployment:
      SetDefault(*spec, "replicas", 1);
      if (Json* s = ObjectAt(*spec, "strategy")) DefaultRollingUpdate(*s, "25%", "25%");
      SetDefault(*spec, "revisionHistoryLimit", 10);
      SetDefault(*spec, "progressDeadlineSeconds", 600);
      break;
    case WorkloadKind::kReplicaSet:
      SetDefault(*spec, "replicas", 1);
      break;
    case WorkloadKind::kStatefulSet:
      DefaultStatefulSet(*spec);
      break;
    case WorkloadKind::kDaemonSet:
      if (Json* s = ObjectAt(*spec, "updateStrategy"))
        DefaultRollingUpdate(*s, Json(int64_t{1}), Json(int64_t{0}));
      SetDefault(*spec, "revisionHistoryLimit", 10);
      break;
    case WorkloadKind::kReplicationController: {
      const Json* labels = TemplateLabels(*spec);
      if (labels != nullptr && labels->is_object()) {
        const Json* sel = Find(*spec, "selector");
        if (sel == nullptr || sel->empty()) (*spec)["selector"] = *labels;
        Json* meta = ObjectAt(obj, "metadata");
        const Json* own = meta != nullptr ? Find(*meta, "labels") : nullptr;
        if (meta != nullptr && (own == nullptr || own->empty())) (*meta)["labels"] = *labels;
      }
      SetDefault(*spec, "replicas", 1);
      break;
    }
  }
  if (Json* tmpl = Find(*spec, "template"); tmpl != nullptr && tmpl->is_object()) {
    if (const Json* pod = ObjectIn(*tmpl, "spec")) {
      if (std::string bad = FirstBadQuantity(*pod); !bad.empty()) return DecodeError(bad);
    }
    DefaultPodTemplate(*tmpl);
  }
  return Status::Ok();
}

Status WorkloadStrategy::Create(Json& obj) {
  CAPSTAN_RETURN_IF_ERROR(Default(obj));
  switch (kind_) {
    case WorkloadKind::kDeployment:
      obj["status"] = Json::object();
      break;
    case WorkloadKind::kReplicaSet:
    case WorkloadKind::kReplicationController:
      obj["status"] = {{"replicas", 0}};
      break;
    case WorkloadKind::kStatefulSet:
      obj["status"] = {{"replicas", 0}, {"availableReplicas", 0}};
      break;
    case WorkloadKind::kDaemonSet:
      obj["status"] = {{"currentNumberScheduled", 0},
                       {"desiredNumberScheduled", 0},
                       {"numberMisscheduled", 0},
                       {"numberReady", 0}};
      break;
  }
  return Status::Ok();
}

Status WorkloadStrategy::Update(Json& obj, const Json& /*old*/) { return Default(obj); }

void WorkloadStrategy::Check(const Json& obj, FieldErrors* errs) {
  ValidateSpec(SpecOf(obj), kind_, errs);
}

void WorkloadStrategy::CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) {
  const Json& spec = SpecOf(obj);
  const Json& old_spec = SpecOf(old);
  if (kind_ == WorkloadKind::kStatefulSet) {
    Json a = Normalized(spec);
    Json b = Normalized(old_spec);
    for (const char* mutable_field : {"replicas", "ordinals", "template", "updateStrategy",
                                      "persistentVolumeClaimRetentionPolicy", "minReadySeconds"}) {
      a.erase(mutable_field);
      b.erase(mutable_field);
    }
    if (a != b) {
      errs->Forbidden("spec",
                      "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                      "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                      "'minReadySeconds' are forbidden");
    }
  } else if (kind_ != WorkloadKind::kReplicationController) {
    const Json* sel = Find(spec, "selector");
    const Json* old_sel = Find(old_spec, "selector");
    Json a = sel != nullptr ? Normalized(*sel) : Json();
    Json b = old_sel != nullptr ? Normalized(*old_sel) : Json();
    if (a != b) {
      errs->InvalidRendered("spec.selector", GoLabelSelector(sel != nullptr ? *sel : Json()),
                            "field is immutable");
    }
  }
  ValidateSpec(spec, kind_, errs);
}

}  // namespace capstan::registry
