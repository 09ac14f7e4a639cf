// Pod strategy: create/update defaulting, validation and update rules (pod_strategy.h).
#include "core/registry/pod_strategy.h"

#include "core/registry/pod_defaults.h"
#include "core/registry/pod_validation.h"
#include "core/registry/quantity.h"

namespace capstan::registry {
namespace {

constexpr const char* kUpdatableFields =
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

const Json& SpecOf(const Json& obj) {
  static const Json kEmpty = Json::object();
  const Json* spec = ObjectIn(obj, "spec");
  return spec != nullptr ? *spec : kEmpty;
}

// Upstream ValidateContainerUpdates: same count, images present. Returns false to stop.
bool ValidateContainerUpdates(const Json& spec, const Json& old_spec, const char* list,
                              FieldErrors* errs) {
  const Json* now = ArrayAt(spec, list);
  const Json* before = ArrayAt(old_spec, list);
  size_t n = now != nullptr ? now->size() : 0;
  size_t m = before != nullptr ? before->size() : 0;
  std::string path = Child("spec", list);
  if (n != m) {
    errs->Forbidden(path, "pod updates may not add or remove containers");
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    std::string image = Str((*now)[i], "image");
    if (image.empty()) errs->Required(Child(Index(path, i), "image"));
  }
  return true;
}

void ValidateOnlyAddedTolerations(const Json& spec, const Json& old_spec, FieldErrors* errs) {
  const Json* old_list = ArrayAt(old_spec, "tolerations");
  const Json* new_list = ArrayAt(spec, "tolerations");
  if (old_list != nullptr) {
    for (const Json& old_t : *old_list) {
      bool found = false;
      Json a = Normalized(old_t);
      if (a.is_object()) a.erase("tolerationSeconds");
      if (new_list != nullptr) {
        for (const Json& n : *new_list) {
          Json b = Normalized(n);
          if (b.is_object()) b.erase("tolerationSeconds");
          if (a == b) {
            found = true;
            break;
          }
        }
      }
      if (!found) {
        errs->Forbidden("spec.tolerations",
                        "existing toleration can not be modified except its tolerationSeconds");
        return;
      }
    }
  }
  if (new_list != nullptr) ValidateTolerations(*new_list, "spec.tolerations", errs);
}

}  // namespace

std::string FirstBadQuantity(const Json& spec) {
  for (const char* list : {"containers", "initContainers"}) {
    const Json* cs = ArrayAt(spec, list);
    if (cs == nullptr) continue;
    for (const Json& c : *cs) {
      const Json* r = ObjectIn(c, "resources");
      if (r == nullptr) continue;
      for (const char* kind : {"limits", "requests"}) {
        const Json* l = ObjectIn(*r, kind);
        if (l == nullptr) continue;
        for (const auto& [name, value] : l->items()) {
          if (Result<Quantity> q = Quantity::FromJson(value); !q.ok()) return q.status().message();
        }
      }
    }
  }
  return "";
}

Status PodStrategy::Create(Json& obj) {
  if (Json* meta = Find(obj, "metadata"); meta != nullptr && meta->is_object()) {
    meta->erase("generation");  // v1.32 pods carry no generation
  }
  Json* spec = ObjectAt(obj, "spec");
  if (spec == nullptr) return DecodeError("spec must be an object");
  if (std::string bad = FirstBadQuantity(*spec); !bad.empty()) return DecodeError(bad);
  DefaultPodSpec(*spec);
  DefaultPodOnlyFields(*spec);
  Json status = {{"phase", "Pending"}, {"qosClass", ComputeQosClass(*spec)}};
  if (const Json* gates = ArrayAt(*spec, "schedulingGates"); gates != nullptr && !gates->empty()) {
    status["conditions"] = Json::array({{{"type", "PodScheduled"},
                                         {"status", "False"},
                                         {"lastProbeTime", nullptr},
                                         {"lastTransitionTime", nullptr},
                                         {"reason", "SchedulingGated"},
                                         {"message",
                                          "Scheduling is blocked due to non-empty scheduling "
                                          "gates"}}});
  }
  obj["status"] = std::move(status);
  return Status::Ok();
}

Status PodStrategy::Update(Json& obj, const Json& /*old*/) {
  Json* spec = ObjectAt(obj, "spec");
  if (spec == nullptr) return DecodeError("spec must be an object");
  if (std::string bad = FirstBadQuantity(*spec); !bad.empty()) return DecodeError(bad);
  DefaultPodSpec(*spec);
  DefaultPodOnlyFields(*spec);
  return Status::Ok();
}

void PodStrategy::Check(const Json& obj, FieldErrors* errs) {
  const Json& spec = SpecOf(obj);
  ValidatePodSpec(spec, "spec", {.is_pod = true}, errs);
  if (const Json* eph = ArrayAt(spec, "ephemeralContainers"); eph != nullptr && !eph->empty()) {
    errs->Forbidden("spec.ephemeralContainers", "cannot be set on create");
  }
  const Json* gates = ArrayAt(spec, "schedulingGates");
  if (!Str(spec, "nodeName").empty() && gates != nullptr && !gates->empty()) {
    errs->Forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared");
  }
}

void PodStrategy::CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) {
  const Json& spec = SpecOf(obj);
  ValidatePodSpec(spec, "spec", {.is_pod = true}, errs);
  ValidatePodSpecUpdate(spec, SpecOf(old), errs);
}

void ValidatePodSpecUpdate(const Json& spec, const Json& old_spec, FieldErrors* errs) {
  if (!ValidateContainerUpdates(spec, old_spec, "containers", errs)) return;
  if (!ValidateContainerUpdates(spec, old_spec, "initContainers", errs)) return;
  const Json* ads = Find(spec, "activeDeadlineSeconds");
  const Json* old_ads = Find(old_spec, "activeDeadlineSeconds");
  if (ads != nullptr) {
    int64_t v = ads->is_number_integer() ? ads->get<int64_t>() : -1;
    if (v < 0 || v > 2147483647) {
      errs->Invalid("spec.activeDeadlineSeconds", *ads,
                    "must be between 0 and 2147483647, inclusive");
      return;
    }
    if (old_ads != nullptr && old_ads->is_number_integer() && old_ads->get<int64_t>() < v) {
      errs->Invalid("spec.activeDeadlineSeconds", *ads,
                    "must be less than or equal to previous value");
      return;
    }
  } else if (old_ads != nullptr) {
    errs->Invalid("spec.activeDeadlineSeconds", nullptr,
                  "must not update from a positive integer to nil value");
  }
  ValidateOnlyAddedTolerations(spec, old_spec, errs);

  Json before = Normalized(old_spec);
  Json munged = Normalized(spec);
  if (munged == before) return;
  for (const char* list : {"containers", "initContainers"}) {
    Json* now = ArrayAt(munged, list);
    const Json* old_list = ArrayAt(before, list);
    if (now == nullptr || old_list == nullptr) continue;
    for (size_t i = 0; i < now->size() && i < old_list->size(); ++i) {
      if ((*now)[i].is_object()) {
        const Json* img = Find((*old_list)[i], "image");
        if (img != nullptr) {
          (*now)[i]["image"] = *img;
        } else {
          (*now)[i].erase("image");
        }
      }
    }
  }
  for (const char* field : {"activeDeadlineSeconds", "tolerations", "schedulingGates"}) {
    if (const Json* v = Find(before, field)) {
      munged[field] = *v;
    } else {
      munged.erase(field);
    }
  }
  if (Int(before, "terminationGracePeriodSeconds") < 0 &&
      Int(munged, "terminationGracePeriodSeconds") == 1) {
    munged["terminationGracePeriodSeconds"] = before["terminationGracePeriodSeconds"];
  }
  if (munged != before) {
    errs->Forbidden("spec", std::string("pod updates may not change fields other than ") +
                                kUpdatableFields + "\n" + DescribeDiff(before, munged, "spec"));
  }
}

int64_t PodStrategy::GracePeriod(const Json& obj) {
  const Json& spec = SpecOf(obj);
  if (Str(spec, "nodeName").empty()) return 0;
  const Json* status = ObjectIn(obj, "status");
  std::string phase = status != nullptr ? Str(*status, "phase") : "";
  if (phase == "Succeeded" || phase == "Failed") return 0;
  int64_t grace = Int(spec, "terminationGracePeriodSeconds", 30);
  return grace < 0 ? 1 : grace;
}

}  // namespace capstan::registry
