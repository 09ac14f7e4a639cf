// Schema-aware operations of server-side apply over plain JSON objects, mirroring
// sigs.k8s.io/structured-merge-diff: the field set an object sets, the difference between two
// objects, merging an applied configuration into a live object, and removing owned items.
// A PatchSchema supplies list types (atomic / set / map with keys) and map types; without
// metadata, objects are structs merged field by field and lists are atomic.
// Implementation in typed_ops.cc (walks) and typed_merge.cc (Merge); tests in
// tests/core/patch/typed_ops_test.cc. Used by field_manager.cc.
#pragma once

#include <nlohmann/json.hpp>

#include "core/common/status.h"
#include "core/patch/field_set.h"
#include "core/patch/patch_schema.h"

namespace capstan::patch {

// The paths an object sets, as an applier's ownership: every leaf (scalar, atomic list or map,
// null, empty object), every item of a set or map-keyed list, and every entry of a map (labels,
// annotations, ...). Struct fields that hold values are not members themselves.
// Errors: kBadRequest when a map-keyed list has an item without a key field (and no default)
// or an item that is not an object.
Result<FieldSet> ToFieldSet(const nlohmann::json& object, const PatchSchema& schema);

// Adds, as members, every struct field that leads to a path in `set` (upstream
// `EnsureNamedFieldsAreMembers`), so removing a struct field whose owned leaves are gone removes
// the whole field.
FieldSet EnsureNamedFieldsAreMembers(const FieldSet& set, const PatchSchema& schema);

// What changed from `before` to `after` (either may be null: absent object). Added and Removed
// hold every path of a subtree that appeared or disappeared (leaves, list items, map entries
// and containers); Modified holds leaves whose value changed.
struct Comparison {
  FieldSet added;
  FieldSet modified;
  FieldSet removed;
};
Result<Comparison> Compare(const nlohmann::json& before, const nlohmann::json& after,
                           const PatchSchema& schema);

// `Compare(object(), after).added` in one pass that builds the set in place: every path of
// `after` below the root. The create path records a new object's ownership with it.
Result<FieldSet> AddedFields(const nlohmann::json& after, const PatchSchema& schema);

// Merges an applied configuration into `live`: structs and granular maps merge field by field,
// set and map-keyed lists merge item by item (keeping the configuration's order for its items
// and the live order for the others), atomic values are replaced, and a `null` in the
// configuration removes the field. Errors: kBadRequest for duplicate keys in a configuration
// list or a keyed item without its key.
Result<nlohmann::json> MergeApplied(const nlohmann::json& live, const nlohmann::json& config,
                                    const PatchSchema& schema);

// `object` without the items whose paths are members of `set` (a member removes its whole
// subtree). Atomic values are not entered.
nlohmann::json RemoveItems(const nlohmann::json& object, const FieldSet& set,
                           const PatchSchema& schema);

}  // namespace capstan::patch
