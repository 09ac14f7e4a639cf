// CustomResourceStrategy (crd_strategy.h): prune, default and validate custom resources.
#include "core/apiserver/crd_strategy.h"

namespace capstan::apiserver {

CustomResourceStrategy::CustomResourceStrategy(std::string group, std::string plural,
                                               std::string kind)
    : group_(std::move(group)), plural_(std::move(plural)), kind_(std::move(kind)) {}

void CustomResourceStrategy::SetSchemas(
    std::map<std::string, std::shared_ptr<const StructuralSchema>> by_version,
    std::string fallback_version) {
  std::lock_guard<std::mutex> lock(mu_);
  schemas_ = std::move(by_version);
  fallback_version_ = std::move(fallback_version);
}

void CustomResourceStrategy::SetTerminating(bool terminating) {
  std::lock_guard<std::mutex> lock(mu_);
  terminating_ = terminating;
}

std::shared_ptr<const StructuralSchema> CustomResourceStrategy::SchemaFor(
    const nlohmann::json& obj) const {
  std::string api_version;
  if (auto it = obj.find("apiVersion"); it != obj.end() && it->is_string()) {
    api_version = it->get<std::string>();
  }
  std::string version = api_version.substr(api_version.find('/') + 1);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = schemas_.find(version);
  if (it == schemas_.end()) it = schemas_.find(fallback_version_);
  return it == schemas_.end() ? nullptr : it->second;
}

void CustomResourceStrategy::PruneAndDefault(nlohmann::json& obj) const {
  std::shared_ptr<const StructuralSchema> schema = SchemaFor(obj);
  if (schema == nullptr) return;
  schema->Prune(obj);
  schema->Default(obj);
}

Status CustomResourceStrategy::PrepareForCreate(nlohmann::json& obj) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (terminating_) {
      return Status(StatusCode::kMethodNotAllowed,
                    "create not allowed while custom resource definition is terminating");
    }
  }
  PruneAndDefault(obj);
  return Status::Ok();
}

void CustomResourceStrategy::FindUnknownFields(const nlohmann::json& obj, bool apply_style,
                                               std::vector<std::string>* paths) const {
  if (std::shared_ptr<const StructuralSchema> schema = SchemaFor(obj)) {
    schema->FindUnknownFields(obj, apply_style, paths);
  }
}

Status CustomResourceStrategy::PrepareForUpdate(nlohmann::json& obj,
                                                const nlohmann::json& /*old*/) {
  PruneAndDefault(obj);
  return Status::Ok();
}

void CustomResourceStrategy::Validate(const nlohmann::json& obj, std::vector<StatusCause>* causes) {
  std::shared_ptr<const StructuralSchema> schema = SchemaFor(obj);
  if (schema != nullptr) schema->Validate(obj, causes);
}

}  // namespace capstan::apiserver
