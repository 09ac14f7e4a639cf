// Internal to core/patch: how the apply walkers classify a JSON value against the PatchSchema
// and name list items. Used by typed_ops.cc and typed_merge.cc; not a public interface.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/status.h"
#include "core/patch/field_set.h"
#include "core/patch/patch_schema.h"

namespace capstan::patch::typed {

using Json = nlohmann::json;

enum class Shape : uint8_t {
  kScalar,  // including null
  kAtomic,  // atomic list or map/struct: a leaf
  kStruct,  // object whose keys are fields (also objects without schema)
  kMap,     // object whose keys are map keys
  kList,    // set or map-keyed list
};

Shape ShapeOf(const Json& v, const std::optional<FieldMeta>& meta);

// Schema path of a field (`is_map`: the parent's keys are map keys, so its values share the
// path "<parent>[]").
std::string ChildPath(const std::string& parent, bool parent_is_map, std::string_view key);
inline std::string ItemPath(const std::string& list) { return list + "[]"; }

// The path element naming `item` in a set (v:) or map-keyed (k:) list. Errors: kBadRequest
// when a keyed item is not an object or omits a key field that has no default.
Result<PathElement> ItemElement(const FieldMeta& list_meta, const Json& item, size_t index);

// True for null, {} and [].
inline bool IsEmptyContainer(const Json& v) {
  return v.is_null() || ((v.is_object() || v.is_array()) && v.empty());
}

// Whether two values have different JSON kinds (object / array / other).
inline bool DifferentKinds(const Json& a, const Json& b) {
  auto k = [](const Json& v) { return v.is_object() ? 0 : v.is_array() ? 1 : 2; };
  return k(a) != k(b);
}

}  // namespace capstan::patch::typed
