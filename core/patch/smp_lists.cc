// List helpers of the strategic merge patch, following upstream's algorithms (including their
// ordering quirks) so merged lists come out in the same order. Header: smp_internal.h.
#include <algorithm>
#include <vector>

#include "core/patch/smp_internal.h"

namespace capstan::patch::smp {
namespace {

const Json* MergeKeyValue(const Json& item, std::string_view key) {
  if (!item.is_object()) return nullptr;
  auto it = item.find(key);
  return it == item.end() ? nullptr : &*it;
}

// What upstream's `index` compares: the merge key's value for objects (nil when absent), the
// item itself otherwise.
const Json& Identity(const Json& item, std::string_view merge_key, ElemKind kind) {
  static const Json kNull;
  if (kind != ElemKind::kObject) return item;
  const Json* v = MergeKeyValue(item, merge_key);
  return v == nullptr ? kNull : *v;
}

Status ValidateMergeKeyIn(const Json& list, std::string_view merge_key) {
  for (const Json& item : list) {
    if (!item.is_object()) return BadRequestError("expected a map, but received " + Describe(item));
    if (MergeKeyValue(item, merge_key) == nullptr) return NoMergeKey(item, merge_key);
  }
  return Status::Ok();
}

// Upstream `normalizeSliceOrder`: a stable sort by position in `order`; `$patch: delete` items
// go last. Items missing from `order` keep their place relative to each other.
Result<Json> NormalizeSliceOrder(Json to_sort, const Json& order, std::string_view merge_key,
                                 ElemKind kind) {
  std::vector<Json> items;
  std::vector<Json> to_delete;
  if (kind == ElemKind::kObject) {
    CAPSTAN_RETURN_IF_ERROR(ValidateMergeKeyIn(to_sort, merge_key));
    CAPSTAN_RETURN_IF_ERROR(ValidateMergeKeyIn(order, merge_key));
  }
  for (Json& item : to_sort) {
    const Json* d = kind == ElemKind::kObject ? MergeKeyValue(item, kDirectiveMarker) : nullptr;
    if (d != nullptr && *d == "delete") {
      to_delete.push_back(std::move(item));
    } else {
      items.push_back(std::move(item));
    }
  }
  std::vector<std::pair<int64_t, Json>> keyed;
  keyed.reserve(items.size());
  for (Json& item : items) {
    int64_t idx = IndexIn(order, item, merge_key, kind);
    keyed.emplace_back(idx, std::move(item));
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    return a.first >= 0 && b.first >= 0 && a.first < b.first;
  });
  Json out = Json::array();
  for (auto& [idx, item] : keyed) out.push_back(std::move(item));
  for (Json& item : to_delete) out.push_back(std::move(item));
  return out;
}

}  // namespace

ElemKind KindOf(const Json& v) {
  if (v.is_object()) return ElemKind::kObject;
  if (v.is_array()) return ElemKind::kArray;
  if (v.is_string()) return ElemKind::kString;
  if (v.is_number()) return ElemKind::kNumber;
  if (v.is_boolean()) return ElemKind::kBool;
  return ElemKind::kNull;
}

Result<ElemKind> SliceElementKind(const Json& a, const Json& b) {
  bool found = false;
  ElemKind kind = ElemKind::kNull;
  for (const Json* list : {&a, &b}) {
    if (!list->is_array()) continue;
    for (const Json& v : *list) {
      ElemKind k = KindOf(v);
      if (!found) {
        if (k == ElemKind::kArray) return InvalidError("lists of lists are not supported");
        kind = k;
        found = true;
      } else if (k != kind) {
        return BadRequestError("list element types are not identical: " + Describe(a) + ", " +
                               Describe(b));
      }
    }
  }
  if (!found) return BadRequestError("no elements in any of the given slices");
  return kind;
}

std::string Describe(const Json& v) {
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Status NoMergeKey(const Json& item, std::string_view merge_key) {
  return BadRequestError("map: " + Describe(item) +
                         " does not contain declared merge key: " + std::string(merge_key));
}

int64_t IndexIn(const Json& list, const Json& item, std::string_view merge_key, ElemKind kind) {
  const Json& want = Identity(item, merge_key, kind);
  int64_t i = 0;
  for (const Json& v : list) {
    if (Identity(v, merge_key, kind) == want) return i;
    ++i;
  }
  return -1;
}

Result<Json> NormalizeElementOrder(Json patch_items, Json server_only, const Json& patch_order,
                                   const Json& server_order, std::string_view merge_key,
                                   ElemKind kind) {
  Result<Json> right = NormalizeSliceOrder(std::move(patch_items), patch_order, merge_key, kind);
  if (!right.ok()) return right.status();
  Result<Json> left = NormalizeSliceOrder(std::move(server_only), server_order, merge_key, kind);
  if (!left.ok()) return left.status();
  // Upstream `mergeSortedSlice`: take the server-only item first only when both are found in
  // the server order and it comes earlier there.
  Json out = Json::array();
  size_t i = 0;
  size_t j = 0;
  while (i < left->size() || j < right->size()) {
    if (i >= left->size()) {
      out.push_back(std::move((*right)[j++]));
    } else if (j >= right->size()) {
      out.push_back(std::move((*left)[i++]));
    } else {
      int64_t li = IndexIn(server_order, (*left)[i], merge_key, kind);
      int64_t ri = IndexIn(server_order, (*right)[j], merge_key, kind);
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push_back(std::move((*left)[i++]));
      } else {
        out.push_back(std::move((*right)[j++]));
      }
    }
  }
  return out;
}

Result<std::pair<Json, Json>> PartitionMaps(const Json& merged, const Json& by,
                                            std::string_view merge_key) {
  std::pair<Json, Json> out{Json::array(), Json::array()};
  for (const Json& v : merged) {
    if (!v.is_object()) return BadRequestError("expected a map, but received " + Describe(v));
    const Json* key = MergeKeyValue(v, merge_key);
    if (key == nullptr) return NoMergeKey(v, merge_key);
    Result<int64_t> found = FindMapByKeyValue(by, merge_key, *key);
    if (!found.ok()) return found.status();
    (*found >= 0 ? out.first : out.second).push_back(v);
  }
  return out;
}

std::pair<Json, Json> PartitionPrimitives(const Json& merged, const Json& by) {
  std::pair<Json, Json> out{Json::array(), Json::array()};
  for (const Json& v : merged) {
    bool present = std::find(by.begin(), by.end(), v) != by.end();
    (present ? out.first : out.second).push_back(v);
  }
  return out;
}

Json DeduplicateScalars(Json s) {
  if (s.empty()) return s;
  size_t length = s.size() - 1;
  for (size_t i = 0; i < length; ++i) {
    for (size_t j = i + 1; j <= length; ++j) {
      if (s[i] == s[j]) {
        s[j] = s[length];
        s.erase(s.begin() + static_cast<std::ptrdiff_t>(length));
        --length;
        --j;
      }
    }
  }
  return s;
}

Json DeleteFromSlice(const Json& current, const Json& to_delete) {
  Json out = Json::array();
  for (const Json& v : current) {
    if (std::find(to_delete.begin(), to_delete.end(), v) == to_delete.end()) out.push_back(v);
  }
  return out;
}

Status ValidatePatchWithSetOrderList(const Json& patch_list, const Json& order,
                                     std::string_view merge_key) {
  if (!order.is_array()) return BadRequestError("invalid patch format of setElementOrder list");
  if (order.empty() || !patch_list.is_array() || patch_list.empty()) return Status::Ok();
  Json non_delete = Json::array();
  for (const Json& item : patch_list) {
    if (!merge_key.empty()) {
      if (!item.is_object()) {
        return BadRequestError("expected a map, but received " + Describe(item));
      }
      const Json* d = MergeKeyValue(item, kDirectiveMarker);
      if (d != nullptr && *d == "delete") continue;
    }
    non_delete.push_back(item);
  }
  size_t p = 0;
  size_t o = 0;
  while (p < non_delete.size() && o < order.size()) {
    const Json& item = non_delete[p];
    if (item.is_object() && item.contains(kDirectiveMarker)) {
      ++p;
      continue;
    }
    bool equal;
    if (merge_key.empty()) {
      equal = item == order[o];
    } else {
      const Json* l = MergeKeyValue(item, merge_key);
      const Json* r = MergeKeyValue(order[o], merge_key);
      if (!order[o].is_object()) {
        return BadRequestError("expected a map, but received " + Describe(order[o]));
      }
      if (l == nullptr) return NoMergeKey(item, merge_key);
      if (r == nullptr) return NoMergeKey(order[o], merge_key);
      equal = *l == *r;
    }
    if (equal) ++p;
    ++o;
  }
  if (p < non_delete.size() && o >= order.size()) {
    return BadRequestError("The order in patch list:\n" + Describe(patch_list) +
                           "\n doesn't match $setElementOrder list:\n" + Describe(order) + "\n");
  }
  return Status::Ok();
}

Result<int64_t> FindMapByKeyValue(const Json& list, std::string_view key, const Json& value) {
  int64_t i = 0;
  for (const Json& v : list) {
    if (!v.is_object()) {
      return BadRequestError("value for key " + std::to_string(i) + " is not a map");
    }
    const Json* k = MergeKeyValue(v, key);
    if (k != nullptr && *k == value) return i;
    ++i;
  }
  return -1;
}

bool Clean(Json& v) {
  if (v.is_object()) {
    if (v.contains(kDirectiveMarker)) return false;
    for (auto it = v.begin(); it != v.end();) {
      const std::string& k = it.key();
      bool drop = it->is_null() || k == kRetainKeysDirective ||
                  std::string_view(k).starts_with(kSetElementOrderPrefix) ||
                  std::string_view(k).starts_with(kDeleteFromPrimitiveListPrefix) || !Clean(*it);
      it = drop ? v.erase(it) : std::next(it);
    }
    return true;
  }
  if (v.is_array()) {
    for (auto it = v.begin(); it != v.end();) {
      it = Clean(*it) ? std::next(it) : v.erase(it);
    }
  }
  return true;
}

Result<std::string> ExtractKey(std::string_view key, std::string_view prefix) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos || key.substr(0, slash) != prefix) {
    if (prefix == kDeleteFromPrimitiveListPrefix) {
      return BadRequestError("invalid patch format of primitive list");
    }
    return BadRequestError("invalid patch format of setElementOrder list");
  }
  return std::string(key.substr(slash + 1));
}

}  // namespace capstan::patch::smp
