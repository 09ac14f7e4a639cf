// Strategic merge patch (`application/strategic-merge-patch+json`), applied the way the upstream
// API server does (k8s.io/apimachinery/pkg/util/strategicpatch, with MergeParallelList and
// IgnoreUnmatchedNulls). kubectl computes these patches; the server only applies them.
// Implementation in strategic_merge_patch.cc (maps, directives) and smp_lists.cc (lists and
// ordering); tests in tests/core/patch/strategic_merge_patch_test.cc.
#pragma once

#include <nlohmann/json.hpp>

#include "core/common/status.h"
#include "core/patch/patch_schema.h"

namespace capstan::patch {

// Applies `patch` to a copy of `original` (both JSON objects) and returns the result.
//
// Semantics, as upstream:
//   - maps merge key by key; `null` deletes a key; a value of another type replaces;
//   - lists of objects whose field has strategy "merge" merge item by item on the patch merge
//     key (e.g. containers by `name`, ports by `containerPort`); other lists are replaced;
//     lists of scalars with strategy "merge" (e.g. finalizers) merge as sets;
//   - directives: `$patch: replace` (replace this map, or the whole list when in a list item),
//     `$patch: delete` (in a map: make it empty; in a list item: delete the item with that merge
//     key), `$retainKeys: [...]` (drop other keys), `$deleteFromPrimitiveList/<field>: [...]`,
//     `$setElementOrder/<field>: [...]` (order of the merged list; server-only items keep their
//     relative place);
//   - the order of merged lists follows upstream's interleaving rules exactly.
// Deliberate difference: values copied from the patch into the result (new keys, new list items,
// replacements) have `null`s and directive keys stripped, so no `$...` key is ever stored.
//
// Errors: kBadRequest when `original` or `patch` is not an object, or the patch is malformed
// (unknown `$patch` value, a list item without its merge key, a bad `$retainKeys`,
// `$setElementOrder` or `$deleteFromPrimitiveList` list, mixed element types); kInvalid for
// lists of lists (upstream answers 422 there). Thread-safe; `schema` is only read.
Result<nlohmann::json> ApplyStrategicMergePatch(const nlohmann::json& original,
                                                const nlohmann::json& patch,
                                                const PatchSchema& schema);

}  // namespace capstan::patch
