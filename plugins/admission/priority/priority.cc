// The Priority admission plugin (priority.h).
#include "priority.h"

#include <optional>
#include <utility>

#include "capstan/sdk/json.h"

namespace capstan::plugins {
namespace {

using sdk::json::Json;
constexpr std::string_view kClasses = "scheduling.k8s.io/v1/priorityclasses";
constexpr char kDefaultPreemption[] = "PreemptLowerPriority";

bool IsPodCreate(const sdk::AdmissionRequest& r) {
  return r.operation() == sdk::AdmissionOperation::kCreate && r.group().empty() &&
         r.resource() == "pods" && r.subresource().empty();
}

bool IsClassWrite(const sdk::AdmissionRequest& r) {
  return (r.operation() == sdk::AdmissionOperation::kCreate ||
          r.operation() == sdk::AdmissionOperation::kUpdate) &&
         r.group() == "scheduling.k8s.io" && r.resource() == "priorityclasses" &&
         r.subresource().empty();
}

}  // namespace

sdk::Status PriorityAdmission::Init(const sdk::Host& host, std::string_view config_json) {
  (void)config_json;
  host_ = &host;
  return sdk::Status::Ok();
}

sdk::Status PriorityAdmission::Lookup(std::string_view name, std::optional<Class>* out) const {
  out->reset();
  std::string text;
  sdk::Status s = host_->CacheGet(kClasses, name, &text);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    // The built-in classes resolve even before the server has created them.
    if (name == "system-cluster-critical")
      *out = Class{std::string(name), kSystemClusterCritical, ""};
    if (name == "system-node-critical") *out = Class{std::string(name), kSystemNodeCritical, ""};
    return sdk::Status::Ok();
  }
  if (!s.ok()) return s;
  std::optional<Json> pc = sdk::json::Parse(text);
  if (!pc) return sdk::Status::Error("PriorityClass " + std::string(name) + " is not JSON");
  Class c;
  c.name = std::string(name);
  c.value = static_cast<int32_t>(sdk::json::GetInt(*pc, "value").value_or(0));
  c.preemption_policy = sdk::json::GetString(*pc, "preemptionPolicy").value_or("");
  *out = std::move(c);
  return sdk::Status::Ok();
}

sdk::Status PriorityAdmission::DefaultClass(std::optional<Class>* out,
                                            std::string_view except) const {
  out->reset();
  std::string text;
  sdk::Status s = host_->CacheList(kClasses, {}, {}, &text);
  if (!s.ok()) return s;
  std::optional<Json> list = sdk::json::Parse(text);
  if (!list || !list->is_array()) return sdk::Status::Error("PriorityClass list is not an array");
  for (const Json& pc : *list) {
    if (!sdk::json::GetBool(pc, "globalDefault").value_or(false)) continue;
    const Json* meta = sdk::json::GetObject(pc, "metadata");
    std::string name = meta == nullptr ? "" : sdk::json::GetString(*meta, "name").value_or("");
    if (name == except) continue;
    auto value = static_cast<int32_t>(sdk::json::GetInt(pc, "value").value_or(0));
    if (!*out || value < (*out)->value) {
      *out = Class{name, value, sdk::json::GetString(pc, "preemptionPolicy").value_or("")};
    }
  }
  return sdk::Status::Ok();
}

sdk::Status PriorityAdmission::Mutate(sdk::Call& call, const sdk::AdmissionRequest& request,
                                      std::string* patch_json) {
  (void)call;
  if (!IsPodCreate(request)) return sdk::Status::Skip();
  std::optional<Json> pod = sdk::json::Parse(request.object_json());
  const Json* spec = pod ? sdk::json::GetObject(*pod, "spec") : nullptr;
  if (spec == nullptr) return sdk::Status::Skip();  // validation reports the missing spec

  std::string class_name = sdk::json::GetString(*spec, "priorityClassName").value_or("");
  std::optional<Class> cls;
  if (class_name.empty()) {
    sdk::Status s = DefaultClass(&cls);
    if (!s.ok()) return s;
  } else {
    sdk::Status s = Lookup(class_name, &cls);
    if (!s.ok()) return s;
    if (!cls) return sdk::Status::Denied("no PriorityClass with name " + class_name + " was found");
  }
  int32_t priority = cls ? cls->value : 0;
  if (std::optional<int64_t> given = sdk::json::GetInt(*spec, "priority");
      given && *given != priority) {
    return sdk::Status::Denied("the integer value of priority (" + std::to_string(*given) +
                               ") must not be provided in pod spec; priority admission controller "
                               "computed " +
                               std::to_string(priority) + " from the given PriorityClass name");
  }
  Json patch = Json::array();
  patch.push_back({{"op", "add"}, {"path", "/spec/priority"}, {"value", priority}});
  if (class_name.empty() && cls) {
    patch.push_back({{"op", "add"}, {"path", "/spec/priorityClassName"}, {"value", cls->name}});
  }
  std::string policy = cls && !cls->preemption_policy.empty() ? cls->preemption_policy
                                                              : std::string(kDefaultPreemption);
  if (!sdk::json::Find(*spec, "preemptionPolicy")) {
    patch.push_back({{"op", "add"}, {"path", "/spec/preemptionPolicy"}, {"value", policy}});
  }
  *patch_json = sdk::json::Dump(patch);
  return sdk::Status::Ok();
}

sdk::Status PriorityAdmission::Validate(sdk::Call& call, const sdk::AdmissionRequest& request,
                                        std::string* warnings_json) {
  (void)call, (void)warnings_json;
  if (!IsClassWrite(request)) return sdk::Status::Skip();
  std::optional<Json> pc = sdk::json::Parse(request.object_json());
  if (!pc || !sdk::json::GetBool(*pc, "globalDefault").value_or(false)) return sdk::Status::Ok();
  std::optional<Class> existing;
  sdk::Status s = DefaultClass(&existing, request.name());
  if (!s.ok()) return s;
  if (existing) {
    return sdk::Status::Denied("PriorityClass " + existing->name +
                               " is already marked as default. Only one default can exist");
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins
