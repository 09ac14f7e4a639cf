// Strategic-merge-patch and apply metadata per kind, extracted from an OpenAPI v3 document:
// for each field on the way to an annotated one, the `x-kubernetes-patch-merge-key`,
// `x-kubernetes-patch-strategy`, `x-kubernetes-list-type`, `x-kubernetes-list-map-keys` and
// `x-kubernetes-map-type` markers, with `$ref`s resolved. openapi.h builds and caches these per
// group-version (`OpenApi::PatchMetaFor`). Tests: tests/core/api/patch_meta_test.cc.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/api/resource.h"
#include "core/common/status.h"

namespace capstan::api {

enum class ListType : uint8_t { kUnspecified, kAtomic, kSet, kMap };
enum class MapType : uint8_t { kUnspecified, kGranular, kAtomic };
enum class NodeType : uint8_t {
  kOther,   // scalar or unknown
  kObject,  // fixed properties (`Field`)
  kArray,   // `Elements` is the item schema
  kMap,     // `additionalProperties`: `Elements` is the value schema
};

// One position in a kind's schema. Only positions that carry a marker, or lead to one, are kept:
// a null `Field` or `Elements` means "no metadata below here", and callers use the defaults
// (maps merge key by key, lists are replaced, scalars are replaced).
// Thread-safety: immutable once built.
class PatchNode {
 public:
  NodeType type() const { return type_; }
  // The child for property `name` of an object, or null.
  const PatchNode* Field(std::string_view name) const;
  // Array items or map values, or null.
  const PatchNode* Elements() const { return elements_; }
  // Fields that lead to metadata, sorted by name.
  const std::vector<std::pair<std::string, const PatchNode*>>& fields() const;

  // `x-kubernetes-patch-merge-key`; empty when the list has none (then it is replaced, unless
  // `merge()` on a list of scalars, which unions).
  const std::string& merge_key() const { return merge_key_; }
  // `x-kubernetes-patch-strategy` parts ("merge", "retainKeys", "replace").
  bool merge() const { return strategy_ & kMerge; }
  bool retain_keys() const { return strategy_ & kRetainKeys; }
  bool replace() const { return strategy_ & kReplace; }
  ListType list_type() const { return list_type_; }
  const std::vector<std::string>& list_map_keys() const { return list_map_keys_; }
  // Schema defaults of list-map key fields an item may omit, as an object such as
  // {"containerPort": 0, "protocol": "TCP"}; null when none of the keys has a default.
  const nlohmann::json& list_map_key_defaults() const { return list_map_key_defaults_; }
  MapType map_type() const { return map_type_; }

 private:
  friend class PatchIndex;
  friend class PatchIndexBuilder;
  static constexpr uint8_t kMerge = 1, kRetainKeys = 2, kReplace = 4;
  struct Shape {
    std::vector<std::pair<std::string, const PatchNode*>> fields;
  };

  NodeType type_ = NodeType::kOther;
  uint8_t strategy_ = 0;
  ListType list_type_ = ListType::kUnspecified;
  MapType map_type_ = MapType::kUnspecified;
  std::string merge_key_;
  std::vector<std::string> list_map_keys_;
  nlohmann::json list_map_key_defaults_;
  const Shape* shape_ = nullptr;  // objects; shared between positions of the same `$ref`
  const PatchNode* elements_ = nullptr;
};

class PatchIndex;

// The metadata of one kind: a handle that keeps its `PatchIndex` alive. Cheap to copy.
class PatchMeta {
 public:
  PatchMeta(std::shared_ptr<const PatchIndex> index, const PatchNode* root)
      : index_(std::move(index)), root_(root) {}

  // The kind's top-level object. Never null.
  const PatchNode* root() const { return root_; }
  // Walks a dotted field path where "[]" steps into list items or map values, e.g.
  // "spec.template.spec.containers[].ports". Null when any step has no metadata.
  const PatchNode* Lookup(std::string_view path) const;

 private:
  std::shared_ptr<const PatchIndex> index_;
  const PatchNode* root_;
};

// The metadata for every kind in one OpenAPI v3 document (one group-version).
// Thread-safety: immutable once built; share it through the shared_ptr.
class PatchIndex : public std::enable_shared_from_this<PatchIndex> {
 public:
  // Parses `document` (OpenAPI v3 JSON with `components.schemas`; descriptions and paths are
  // skipped while parsing to keep the transient tree small). Kinds are the schemas carrying
  // `x-kubernetes-group-version-kind`. Errors: kInvalid when the text is not JSON or has no
  // `components.schemas` object.
  static Result<std::shared_ptr<const PatchIndex>> FromOpenApiV3(std::string_view document);

  // Errors: kNotFound when the document has no schema for `gvk`.
  Result<PatchMeta> For(const GroupVersionKind& gvk) const;
  size_t node_count() const { return nodes_.size(); }

 private:
  friend class PatchIndexBuilder;
  std::deque<PatchNode> nodes_;                              // stable addresses
  std::deque<PatchNode::Shape> shapes_;                      // stable addresses
  std::unordered_map<std::string, const PatchNode*> roots_;  // "group/version/Kind"
};

}  // namespace capstan::api
