// `CustomResourceStrategy`: the `ResourceStrategy` of one custom resource (group/plural): prunes
// unknown fields, applies schema defaults and validates against the structural schema of the
// version the object is stored as. The CRD controller (crd_controller.h) owns one per resource
// and swaps its schemas when the CRD changes. Partners: crd_schema.h, rest_storage.h.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/apiserver/crd_schema.h"
#include "core/apiserver/rest_storage.h"

namespace capstan::apiserver {

// Thread-safe: RestStorage calls it from any worker; the controller updates it concurrently.
class CustomResourceStrategy : public ResourceStrategy {
 public:
  // `kind` and `plural`/`group` name the resource in errors.
  CustomResourceStrategy(std::string group, std::string plural, std::string kind);

  // Replaces the schemas, by version name. `fallback_version` is used for objects whose
  // apiVersion is none of them (the stored version of a storage registered earlier).
  void SetSchemas(std::map<std::string, std::shared_ptr<const StructuralSchema>> by_version,
                  std::string fallback_version);
  // While terminating (the CRD is being deleted) creates fail with 405, as upstream.
  void SetTerminating(bool terminating);

  Status PrepareForCreate(nlohmann::json& obj) override;
  Status PrepareForUpdate(nlohmann::json& obj, const nlohmann::json& old) override;
  void Validate(const nlohmann::json& obj, std::vector<StatusCause>* causes) override;
  void FindUnknownFields(const nlohmann::json& obj, bool apply_style,
                         std::vector<std::string>* paths) const override;

 private:
  // The schema for `obj`'s apiVersion; null when there is none (then nothing is checked).
  std::shared_ptr<const StructuralSchema> SchemaFor(const nlohmann::json& obj) const;
  void PruneAndDefault(nlohmann::json& obj) const;

  const std::string group_;
  const std::string plural_;
  const std::string kind_;
  mutable std::mutex mu_;  // guards the members below
  std::map<std::string, std::shared_ptr<const StructuralSchema>> schemas_;
  std::string fallback_version_;
  bool terminating_ = false;
};

}  // namespace capstan::apiserver
