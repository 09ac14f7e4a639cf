// `PatchSchema`: what the patch and apply code needs to know about a kind's fields (merge keys,
// patch strategies, list and map types), asked by JSON path. core/api adapts its OpenAPI-derived
// metadata to it; `TablePatchSchema` is a small in-memory implementation for tests and simple
// kinds. Implementation in patch_schema.cc; tests in tests/core/patch/patch_schema_test.cc.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace capstan::patch {

enum class ValueKind : uint8_t {
  kUnknown,  // scalar, or no schema: objects merge key by key, lists are replaced
  kStruct,   // object with declared properties
  kMap,      // object with `additionalProperties` (labels, annotations, data, ...)
  kList,     // array
};

// `x-kubernetes-list-type`. kUnspecified falls back to the patch strategy (see
// `EffectiveListType`).
enum class ListType : uint8_t { kUnspecified, kAtomic, kSet, kMap };
// `x-kubernetes-map-type` (also used for structs): atomic values are replaced, never merged.
enum class MapType : uint8_t { kUnspecified, kGranular, kAtomic };

// Metadata of one field. Views point into storage owned by the PatchSchema that returned it and
// stay valid as long as that schema.
struct FieldMeta {
  ValueKind kind = ValueKind::kUnknown;
  // `x-kubernetes-patch-strategy` ("merge", "replace", "retainKeys", or "merge,retainKeys").
  bool patch_merge = false;
  bool patch_replace = false;
  bool patch_retain_keys = false;
  // `x-kubernetes-patch-merge-key`, e.g. "name" for containers, "containerPort" for ports.
  std::string_view patch_merge_key;
  ListType list_type = ListType::kUnspecified;
  // `x-kubernetes-list-map-keys`, e.g. {"containerPort", "protocol"}.
  std::span<const std::string> list_map_keys;
  // Defaults of list-map key fields an item may omit, as an object {"protocol": "TCP"}; may be
  // null. Without one, a missing key named `protocol` is taken as "TCP" (the only defaulted key
  // among built-in kinds) and any other missing key is an error.
  const nlohmann::json* list_map_key_defaults = nullptr;
  MapType map_type = MapType::kUnspecified;
};

// The list semantics server-side apply uses: `list_type` when given; otherwise a merge strategy
// with a merge key makes a map keyed by it, a merge strategy without one makes a set, and
// anything else is atomic (the upstream OpenAPI-to-schema conversion does the same).
ListType EffectiveListType(const FieldMeta& meta);
// The list-map keys apply uses: `list_map_keys`, else the single patch merge key.
std::vector<std::string_view> EffectiveListMapKeys(const FieldMeta& meta);

// Answers metadata questions about one kind. Paths are dotted JSON field names from the object
// root, with "[]" stepping into list items or map values, e.g. "spec.template.spec.containers"
// (the list), "spec.template.spec.containers[].ports" (a list inside each item),
// "metadata.labels" (a map). The root is "". Implementations must be thread-safe for concurrent
// calls and must not depend on object values.
class PatchSchema {
 public:
  virtual ~PatchSchema() = default;
  // nullopt when the path has no metadata (callers then use the defaults of kUnknown).
  virtual std::optional<FieldMeta> Lookup(std::string_view path) const = 0;
};

// A schema that knows nothing: maps merge, lists are replaced (as for a CRD without schema).
class EmptyPatchSchema final : public PatchSchema {
 public:
  std::optional<FieldMeta> Lookup(std::string_view) const override { return std::nullopt; }
};

// Describes one row of a TablePatchSchema. `strategy` is the OpenAPI text ("merge",
// "merge,retainKeys", "replace", "retainKeys" or ""); `list_type` and `map_type` likewise
// ("atomic", "set", "map", "granular" or "").
struct FieldSpec {
  std::string path;
  ValueKind kind = ValueKind::kUnknown;
  std::string strategy;
  std::string merge_key;
  std::string list_type;
  std::vector<std::string> list_map_keys;
  nlohmann::json list_map_key_defaults;  // object or null
  std::string map_type;
};

// A PatchSchema built from a table of rows. Immutable after construction; thread-safe.
class TablePatchSchema final : public PatchSchema {
 public:
  explicit TablePatchSchema(std::vector<FieldSpec> rows);
  std::optional<FieldMeta> Lookup(std::string_view path) const override;

 private:
  struct Row {
    FieldSpec spec;
    FieldMeta meta;
  };
  std::map<std::string, Row, std::less<>> rows_;
};

// Fills the marker fields of `meta` from one OpenAPI schema node's `x-kubernetes-*` extensions
// and `type` / `properties` / `additionalProperties`. `storage` receives strings the views point
// to; it must outlive `meta` and not be modified afterwards. For adapters over OpenAPI.
void FieldMetaFromOpenApi(const nlohmann::json& node, FieldSpec& storage, FieldMeta& meta);

}  // namespace capstan::patch
