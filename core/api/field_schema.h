// The known fields of each built-in kind, from the upstream OpenAPI v3 documents (openapi.h), and
// the pruning that mimics kube-apiserver's typed decoding: unknown fields are removed and named in
// upstream's path forms. The apiserver applies it on writes (core/apiserver/api_writes.cc).
// Tests: tests/core/api/field_schema_test.cc.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/api/resource.h"
#include "core/common/status.h"

namespace capstan::api {

class OpenApi;

// One schema position. Leaves are scalars of one JSON type (`scalar()`), or accept any value at
// positions upstream decodes without a fixed shape (`x-kubernetes-preserve-unknown-fields`,
// RawExtension, FieldsV1, IntOrString, Quantity). Thread-safety: immutable once built.
class FieldNode {
 public:
  enum class Kind : uint8_t { kLeaf, kObject, kArray, kMap };
  enum class Scalar : uint8_t { kAny, kString, kInteger, kNumber, kBoolean };

  Kind kind() const { return kind_; }
  // Leaves: the JSON type upstream's decoder accepts (null is always accepted). kAny otherwise.
  Scalar scalar() const { return scalar_; }
  // The Go type upstream's decoder names in type errors: "string", "int32", "[]string",
  // "map[string]string", "v1.PodSpec"; empty for any-value leaves and inline objects.
  const std::string& go_type() const { return go_type_; }
  // The child for property `name` of an object, or null when unknown (binary search, no
  // allocation).
  const FieldNode* Field(std::string_view name) const;
  // Array items or map values; null for other kinds.
  const FieldNode* Elements() const { return elements_; }
  // Arrays: `x-kubernetes-list-map-keys` (server-side apply names items by them).
  const std::vector<std::string>& list_map_keys() const { return list_map_keys_; }

 private:
  friend class FieldIndexBuilder;
  friend class FieldIndex;
  using Shape = std::vector<std::pair<std::string, const FieldNode*>>;  // sorted by name

  Kind kind_ = Kind::kLeaf;
  Scalar scalar_ = Scalar::kAny;
  std::string go_type_;
  const Shape* shape_ = nullptr;  // objects; shared between positions of the same `$ref`
  const FieldNode* elements_ = nullptr;
  std::vector<std::string> list_map_keys_;
};

// Every kind of one OpenAPI v3 document (one group-version).
// Thread-safety: immutable once built; share it through the shared_ptr.
class FieldIndex {
 public:
  // Parses `document` (OpenAPI v3 JSON with `components.schemas`). Errors: kInvalid when the text
  // is not JSON or has no `components.schemas` object.
  static Result<std::shared_ptr<const FieldIndex>> FromOpenApiV3(std::string_view document);

  // The top-level node of `gvk`, or null when the document has no schema for it.
  const FieldNode* Root(const GroupVersionKind& gvk) const;

 private:
  friend class FieldIndexBuilder;
  std::deque<FieldNode> nodes_;                              // stable addresses
  std::deque<FieldNode::Shape> shapes_;                      // stable addresses
  std::unordered_map<std::string, const FieldNode*> roots_;  // "group/version/Kind"
};

// A kind's root node together with the index that owns it. Cheap to copy.
struct FieldSchema {
  std::shared_ptr<const FieldIndex> index;
  const FieldNode* root = nullptr;  // never null in a schema returned by FieldSchemaCache
};

// Builds each group-version's `FieldIndex` on first use (tens of milliseconds for api/v1) and
// keeps it. Built-in documents never change, so entries are never invalidated; do not use it for
// custom resources. Thread-safety: thread-safe; `openapi` is borrowed and must outlive the cache.
class FieldSchemaCache {
 public:
  explicit FieldSchemaCache(const OpenApi* openapi) : openapi_(openapi) {}

  // Errors: kNotFound when no served document has a schema for `gvk` (callers then skip
  // pruning); kInvalid / kUnavailable when the document cannot be parsed or read.
  Result<FieldSchema> For(const GroupVersionKind& gvk) const;

 private:
  const OpenApi* openapi_;
  mutable std::mutex mu_;  // guards `indexes_`
  mutable std::map<std::string, std::shared_ptr<const FieldIndex>, std::less<>> indexes_;
};

// Removes every field of `obj` the schema does not know, depth first, and appends each removed
// field's path to `removed_paths` (may be null) in kube-apiserver's strict-decoding form:
// dotted names, list items as `[i]`, map values by key (`spec.containers[0].foo`,
// `metadata.foo`). Values whose JSON type does not match the schema are left alone (type errors
// are not this function's concern). Cost: one lookup per field, allocation only for removals.
void PruneUnknownFields(nlohmann::json& obj, const FieldNode& root,
                        std::vector<std::string>* removed_paths);

// Like `PruneUnknownFields` without modifying `obj`, naming fields as server-side apply does:
// a leading dot and list-map items by key (`.spec.containers[name="c"].foo`).
void FindUnknownFieldsForApply(const nlohmann::json& obj, const FieldNode& root,
                               std::vector<std::string>* paths);

// `unknown field "a"` messages joined as upstream's strict decoding error:
// `strict decoding error: unknown field "a", unknown field "b"`.
std::string StrictDecodingMessage(const std::vector<std::string>& paths);

}  // namespace capstan::api
