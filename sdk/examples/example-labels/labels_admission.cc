// Example admission plugin `example-labels`: patch building and label checks (see
// labels_admission.h).
#include "labels_admission.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "capstan/sdk/json.h"

namespace capstan::examples {

using sdk::json::Json;

sdk::Status LabelsAdmission::Init(const sdk::Host& host, std::string_view config_json) {
  (void)host;
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  if (const Json* defaults = sdk::json::GetObject(*config, "defaultLabels")) {
    for (const auto& [key, value] : defaults->items()) {
      if (auto v = sdk::json::AsString(value)) defaults_[key] = *v;
    }
  }
  auto strings = [&](std::string_view field, std::vector<std::string>* out) {
    if (const Json* list = sdk::json::GetArray(*config, field)) {
      for (const Json& item : *list) {
        if (auto s = sdk::json::AsString(item)) out->push_back(*s);
      }
    }
  };
  strings("requiredLabels", &required_);
  strings("kinds", &kinds_);
  return sdk::Status::Ok();
}

bool LabelsAdmission::Applies(const sdk::AdmissionRequest& request) const {
  sdk::AdmissionOperation op = request.operation();
  if (op != sdk::AdmissionOperation::kCreate && op != sdk::AdmissionOperation::kUpdate) {
    return false;
  }
  if (!request.subresource().empty()) return false;
  return kinds_.empty() || std::find(kinds_.begin(), kinds_.end(), request.kind()) != kinds_.end();
}

sdk::Status LabelsAdmission::Mutate(sdk::Call& call, const sdk::AdmissionRequest& request,
                                    std::string* patch_json) {
  (void)call;
  if (!Applies(request) || defaults_.empty()) return sdk::Status::Skip();
  std::optional<Json> object = sdk::json::Parse(request.object_json());
  if (!object || sdk::json::GetObject(*object, "metadata") == nullptr) {
    return sdk::Status::Invalid("object has no metadata");
  }
  const Json* labels = sdk::json::FindPath(*object, {"metadata", "labels"});
  Json patch = Json::array();
  if (labels == nullptr || !labels->is_object()) {
    // One "add" of the whole map: adding a member below a missing parent would not apply.
    patch.push_back({{"op", "add"}, {"path", "/metadata/labels"}, {"value", defaults_}});
  } else {
    for (const auto& [key, value] : defaults_) {
      if (labels->contains(key)) continue;
      patch.push_back({{"op", "add"},
                       {"path", "/metadata/labels/" + sdk::JsonPointerEscape(key)},
                       {"value", value}});
    }
  }
  if (!patch.empty()) *patch_json = sdk::json::Dump(patch);
  return sdk::Status::Ok();
}

sdk::Status LabelsAdmission::Validate(sdk::Call& call, const sdk::AdmissionRequest& request,
                                      std::string* warnings_json) {
  (void)call;
  if (!Applies(request)) return sdk::Status::Skip();
  std::optional<Json> object = sdk::json::Parse(request.object_json());
  if (!object) return sdk::Status::Invalid("object is not JSON");
  const Json* labels = sdk::json::FindPath(*object, {"metadata", "labels"});
  std::string missing;
  for (const std::string& key : required_) {
    if (labels == nullptr || !labels->is_object() || !labels->contains(key)) {
      missing += (missing.empty() ? "" : ", ") + key;
    }
  }
  if (!missing.empty()) {
    return sdk::Status::Denied(std::string(request.kind()) + " " + std::string(request.name()) +
                               " is missing required label(s): " + missing);
  }
  Json warnings = Json::array();
  for (const auto& [key, value] : defaults_) {
    if (labels != nullptr && sdk::json::GetString(*labels, key) == value) {
      std::string warning = "label ";
      warning.append(key).append(" still has its default value \"").append(value).append("\"");
      warnings.push_back(std::move(warning));
    }
  }
  if (!warnings.empty()) *warnings_json = sdk::json::Dump(warnings);
  return sdk::Status::Ok();
}

}  // namespace capstan::examples
