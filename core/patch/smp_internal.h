// Internal to core/patch: list helpers of the strategic merge patch (element kinds, partitioning,
// upstream's ordering rules, directive stripping). Used by strategic_merge_patch.cc; implemented
// in smp_lists.cc. Not part of the public interface.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "core/common/status.h"

namespace capstan::patch::smp {

using Json = nlohmann::json;

inline constexpr std::string_view kDirectiveMarker = "$patch";
inline constexpr std::string_view kRetainKeysDirective = "$retainKeys";
inline constexpr std::string_view kDeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList";
inline constexpr std::string_view kSetElementOrderPrefix = "$setElementOrder";

// The Go dynamic type of a decoded JSON value, which upstream compares with reflect.TypeOf.
enum class ElemKind : uint8_t { kObject, kArray, kString, kNumber, kBool, kNull };
ElemKind KindOf(const Json& v);

// The common element kind of the lists `a` and `b`. Errors: kInvalid for lists of lists;
// kBadRequest for mixed kinds or when both lists are empty.
Result<ElemKind> SliceElementKind(const Json& a, const Json& b);

// Text for a value in an error message.
std::string Describe(const Json& v);
Status NoMergeKey(const Json& item, std::string_view merge_key);

// Index of the first item of `list` whose merge-key value (objects) or value (scalars) equals
// that of `item`; -1 when absent.
int64_t IndexIn(const Json& list, const Json& item, std::string_view merge_key, ElemKind kind);

// Upstream `normalizeElementOrder`: sorts `patch_items` by `patch_order` and `server_only` by
// `server_order`, then interleaves them (server-only items are inserted before the first patch
// item they precede in `server_order`).
Result<Json> NormalizeElementOrder(Json patch_items, Json server_only, const Json& patch_order,
                                   const Json& server_order, std::string_view merge_key,
                                   ElemKind kind);

// Splits `merged` into (items present in `by`, the rest), keeping order. Objects compare by
// `merge_key`. Errors: kBadRequest when an object lacks the merge key.
Result<std::pair<Json, Json>> PartitionMaps(const Json& merged, const Json& by,
                                            std::string_view merge_key);
std::pair<Json, Json> PartitionPrimitives(const Json& merged, const Json& by);

// Upstream's in-place de-duplication (it moves the last element into a duplicate's slot).
Json DeduplicateScalars(Json s);
// `current` without any value present in `to_delete`.
Json DeleteFromSlice(const Json& current, const Json& to_delete);

// Checks that the non-directive items of `patch_list` appear in `order` in the same relative
// order. Errors: kBadRequest.
Status ValidatePatchWithSetOrderList(const Json& patch_list, const Json& order,
                                     std::string_view merge_key);

// Position of the object in `list` whose `key` equals `value`; -1 when none. Errors: kBadRequest
// when an item is not an object.
Result<int64_t> FindMapByKeyValue(const Json& list, std::string_view key, const Json& value);

// Prepares a patch value for storing: removes maps carrying `$patch` (returns false when `v`
// itself is one), `null` members, and `$retainKeys` / `$setElementOrder/...` /
// `$deleteFromPrimitiveList/...` keys, recursively.
bool Clean(Json& v);

// The field name after `prefix` + "/". Errors: kBadRequest naming the directive.
Result<std::string> ExtractKey(std::string_view key, std::string_view prefix);

}  // namespace capstan::patch::smp
