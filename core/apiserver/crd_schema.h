// `StructuralSchema`: a CRD version's `schema.openAPIV3Schema`, parsed once, that prunes unknown
// fields, applies `default`s and validates custom resources with upstream's field paths and
// messages (`spec.replicas: Invalid value: "string": spec.replicas in body must be of type
// integer: "string"`). Partners: crd_strategy.h (the ResourceStrategy using it), crd_openapi.h.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/apiserver/status_json.h"
#include "core/common/status.h"

namespace capstan::apiserver {

// Thread-safety: immutable once parsed; any number of threads may use one schema.
class StructuralSchema {
 public:
  struct Node;  // one schema level; defined in crd_schema.cc

  // Parses a JSONSchemaProps object. Structural rules checked: the root is `type: object`; every
  // specified field has a `type` unless it is `x-kubernetes-int-or-string` or
  // `x-kubernetes-preserve-unknown-fields`; `pattern`s compile; keyword values have the right
  // JSON types. Errors: kInvalid; `*problems` (may be null) gets one cause per problem, with
  // field paths relative to the schema ("properties[spec].properties[size].type").
  static Result<std::shared_ptr<const StructuralSchema>> Parse(
      const nlohmann::json& schema, std::vector<StatusCause>* problems = nullptr);

  ~StructuralSchema();
  StructuralSchema(const StructuralSchema&) = delete;
  StructuralSchema& operator=(const StructuralSchema&) = delete;

  // Removes fields the schema does not declare, except under
  // `x-kubernetes-preserve-unknown-fields` and `x-kubernetes-int-or-string`. `apiVersion`, `kind`
  // and `metadata` of the object (and of embedded resources) are kept; unknown `metadata` fields
  // are dropped as upstream's ObjectMeta decoding does. Upstream prunes silently on write.
  // `removed_paths` (may be null) gets each removed field's path in strict-decoding form
  // (`spec.items[0].foo`, `metadata.foo`).
  void Prune(nlohmann::json& object, std::vector<std::string>* removed_paths = nullptr) const;
  // What `Prune` would remove, without modifying `object`, for `fieldValidation`: paths as
  // strict decoding names them, or with `apply_style` as server-side apply does (`.spec.foo`).
  void FindUnknownFields(const nlohmann::json& object, bool apply_style,
                         std::vector<std::string>* paths) const;
  // Fills absent (or null and not nullable) properties that declare a `default`, top-down, so
  // defaults inside a defaulted object apply too.
  void Default(nlohmann::json& object) const;
  // Appends one cause per violation: type, required, enum, bounds, lengths, pattern, items,
  // properties, additionalProperties, nullable, int-or-string, embedded resources, formats
  // int32/int64/date-time/uuid/byte, list-type set/map uniqueness, allOf/anyOf/oneOf/not.
  // `apiVersion`, `kind` and `metadata` of the root are not checked against the schema beyond
  // `metadata.name`/`generateName` (the API server validates ObjectMeta itself).
  void Validate(const nlohmann::json& object, std::vector<StatusCause>* causes) const;

  // The original JSON (used to publish the schema in OpenAPI).
  const nlohmann::json& json() const { return json_; }

 private:
  StructuralSchema(nlohmann::json json, std::unique_ptr<Node> root);
  nlohmann::json json_;
  std::unique_ptr<Node> root_;
};

// Removes every member of an ObjectMeta object that upstream's ObjectMeta does not have.
void PruneObjectMeta(nlohmann::json& meta);

}  // namespace capstan::apiserver
