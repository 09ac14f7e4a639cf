// Strategic merge patch application: maps, directives and list merging, following upstream's
// `mergeMap` / `mergeSlice` / `mergePatchIntoOriginal`. List helpers live in smp_lists.cc.
// Header: strategic_merge_patch.h.
#include "core/patch/strategic_merge_patch.h"

#include <string>
#include <vector>

#include "core/patch/smp_internal.h"

namespace capstan::patch {
namespace {

using smp::Json;

class Merger {
 public:
  explicit Merger(const PatchSchema& schema) : schema_(schema) {}

  // Merges `patch` into `original` (an object) in place; `patch` is consumed. `path` is the
  // schema path of `original`; `is_map` says its keys are map keys rather than fields.
  Status MergeMap(Json& original, Json& patch, const std::string& path, bool is_map) {
    if (auto d = patch.find(smp::kDirectiveMarker); d != patch.end()) {
      if (*d == "replace") {
        patch.erase(d);
        smp::Clean(patch);
        original = std::move(patch);
        return Status::Ok();
      }
      if (*d == "delete") {
        original = Json::object();
        return Status::Ok();
      }
      return BadRequestError("unknown patch type: " + smp::Describe(*d) +
                             " in map: " + smp::Describe(patch));
    }
    if (!original.is_object()) original = Json::object();
    CAPSTAN_RETURN_IF_ERROR(ApplyRetainKeys(original, patch));
    CAPSTAN_RETURN_IF_ERROR(MergeOrderedLists(original, patch, path, is_map));

    for (auto& [patch_key, patch_value] : patch.items()) {
      std::string key = patch_key;
      bool is_delete_list = false;
      if (std::string_view(patch_key).starts_with(smp::kDeleteFromPrimitiveListPrefix)) {
        Result<std::string> k = smp::ExtractKey(patch_key, smp::kDeleteFromPrimitiveListPrefix);
        if (!k.ok()) return k.status();
        key = std::move(k).value();
        is_delete_list = true;
      }
      if (patch_value.is_null()) {
        original.erase(key);
        continue;
      }
      auto orig_it = original.find(key);
      if (orig_it == original.end() || smp::KindOf(*orig_it) != smp::KindOf(patch_value)) {
        if (!is_delete_list) StoreCleaned(original, key, std::move(patch_value));
        continue;
      }
      std::string child = ChildPath(path, is_map, key);
      std::optional<FieldMeta> meta = schema_.Lookup(child);
      if (orig_it->is_object()) {
        if (meta && meta->patch_replace) {
          StoreCleaned(original, key, std::move(patch_value));
          continue;
        }
        bool child_is_map = meta && meta->kind == ValueKind::kMap;
        CAPSTAN_RETURN_IF_ERROR(MergeMap(*orig_it, patch_value, child, child_is_map));
      } else if (orig_it->is_array()) {
        if (!(meta && meta->patch_merge) && !is_delete_list) {
          StoreCleaned(original, key, std::move(patch_value));
          continue;
        }
        std::string merge_key(meta ? meta->patch_merge_key : std::string_view());
        Result<Json> merged = MergeSlice(std::move(*orig_it), std::move(patch_value), merge_key,
                                         child, is_delete_list);
        if (!merged.ok()) return merged.status();
        original[key] = std::move(merged).value();
      } else {
        StoreCleaned(original, key, std::move(patch_value));
      }
    }
    return Status::Ok();
  }

 private:
  static std::string ChildPath(const std::string& path, bool is_map, std::string_view key) {
    if (is_map) return path + "[]";
    if (path.empty()) return std::string(key);
    return path + "." + std::string(key);
  }

  static void StoreCleaned(Json& original, const std::string& key, Json value) {
    if (smp::Clean(value)) {
      original[key] = std::move(value);
    } else {
      original.erase(key);
    }
  }

  // `$retainKeys`: every non-null patch key must be listed; original keys not listed go.
  static Status ApplyRetainKeys(Json& original, Json& patch) {
    auto it = patch.find(smp::kRetainKeysDirective);
    if (it == patch.end()) return Status::Ok();
    Json retain = std::move(*it);
    patch.erase(it);
    if (!retain.is_array()) return BadRequestError("invalid patch format of retainKeys");
    auto listed = [&retain](std::string_view k) {
      for (const Json& r : retain) {
        if (r.is_string() && r.get_ref<const std::string&>() == k) return true;
      }
      return false;
    };
    for (const auto& [k, v] : patch.items()) {
      if (v.is_null() || std::string_view(k).starts_with(smp::kDeleteFromPrimitiveListPrefix) ||
          std::string_view(k).starts_with(smp::kSetElementOrderPrefix)) {
        continue;
      }
      if (!listed(k)) return BadRequestError("invalid patch format of retainKeys");
    }
    for (auto o = original.begin(); o != original.end();) {
      o = listed(o.key()) ? std::next(o) : original.erase(o);
    }
    return Status::Ok();
  }

  // Upstream `mergePatchIntoOriginal`: each `$setElementOrder/<field>` merges its list (if the
  // patch has one) and then orders the result; both keys leave the patch.
  Status MergeOrderedLists(Json& original, Json& patch, const std::string& path, bool is_map) {
    std::vector<std::string> directives;
    for (const auto& [k, v] : patch.items()) {
      if (std::string_view(k).starts_with(smp::kSetElementOrderPrefix)) directives.push_back(k);
    }
    for (const std::string& directive : directives) {
      Json order = std::move(patch[directive]);
      patch.erase(directive);
      if (!order.is_array()) return BadRequestError("invalid patch format of setElementOrder list");
      Result<std::string> field = smp::ExtractKey(directive, smp::kSetElementOrderPrefix);
      if (!field.ok()) return field.status();
      const std::string& key = *field;
      auto orig_it = original.find(key);
      auto patch_it = patch.find(key);
      bool found_original = orig_it != original.end();
      bool found_patch = patch_it != patch.end();
      if (found_original && !orig_it->is_array()) {
        return BadRequestError("expected a list in " + key + ", found " + smp::Describe(*orig_it));
      }
      if (found_patch && !patch_it->is_array()) {
        return BadRequestError("expected a list in " + key + ", found " + smp::Describe(*patch_it));
      }
      std::string child = ChildPath(path, is_map, key);
      std::optional<FieldMeta> meta = schema_.Lookup(child);
      std::string merge_key(meta ? meta->patch_merge_key : std::string_view());
      static const Json kEmpty = Json::array();
      const Json& patch_list = found_patch ? *patch_it : kEmpty;
      CAPSTAN_RETURN_IF_ERROR(smp::ValidatePatchWithSetOrderList(patch_list, order, merge_key));
      Json original_list = found_original ? *orig_it : Json::array();
      Json merged;
      if (found_original && !found_patch) {
        merged = original_list;
      } else if (!found_original && found_patch) {
        merged = std::move(*patch_it);
        smp::Clean(merged);
      } else if (found_original && found_patch) {
        if (meta && meta->patch_merge) {
          Result<Json> m = MergeSlice(original_list, std::move(*patch_it), merge_key, child, false);
          if (!m.ok()) return m.status();
          merged = std::move(m).value();
        } else {
          merged = std::move(*patch_it);
          smp::Clean(merged);
        }
      } else {
        continue;
      }
      if (found_patch) patch.erase(key);
      if (merged.empty()) {
        original[key] = std::move(merged);
        continue;
      }
      Result<smp::ElemKind> kind = smp::SliceElementKind(merged, Json::array());
      if (!kind.ok()) return kind.status();
      std::pair<Json, Json> parts;
      if (merge_key.empty()) {
        parts = smp::PartitionPrimitives(merged, order);
      } else {
        Result<std::pair<Json, Json>> p = smp::PartitionMaps(merged, order, merge_key);
        if (!p.ok()) return p.status();
        parts = std::move(p).value();
      }
      Result<Json> both = smp::NormalizeElementOrder(
          std::move(parts.first), std::move(parts.second), order, original_list, merge_key, *kind);
      if (!both.ok()) return both.status();
      original[key] = std::move(both).value();
    }
    return Status::Ok();
  }

  // Upstream `mergeSlice` for a list whose strategy is "merge" (or a delete list).
  Result<Json> MergeSlice(Json original, Json patch, const std::string& merge_key,
                          const std::string& path, bool is_delete_list) {
    if (original.empty() && patch.empty()) return original;
    Result<smp::ElemKind> kind = smp::SliceElementKind(original, patch);
    if (!kind.ok()) return kind.status();
    Json merged;
    Json order = patch;
    if (*kind != smp::ElemKind::kObject) {
      if (is_delete_list) return smp::DeleteFromSlice(original, patch);
      Json both = original;
      for (Json& v : patch) both.push_back(std::move(v));
      merged = smp::DeduplicateScalars(std::move(both));
    } else {
      if (merge_key.empty()) {
        return BadRequestError("cannot merge lists without merge key for " + path);
      }
      CAPSTAN_RETURN_IF_ERROR(ApplySpecialElements(original, patch, merge_key));
      order = patch;
      size_t server_len = original.size();
      CAPSTAN_RETURN_IF_ERROR(MergeItems(original, patch, merge_key, path));
      merged = original;
      // Upstream orders against the merged items but not the appended ones (its slice header
      // did not grow).
      original.erase(original.begin() + static_cast<std::ptrdiff_t>(server_len), original.end());
    }
    std::pair<Json, Json> parts;
    if (merge_key.empty()) {
      parts = smp::PartitionPrimitives(merged, order);
    } else {
      Result<std::pair<Json, Json>> p = smp::PartitionMaps(merged, order, merge_key);
      if (!p.ok()) return p.status();
      parts = std::move(p).value();
    }
    return smp::NormalizeElementOrder(std::move(parts.first), std::move(parts.second), order,
                                      original, merge_key, *kind);
  }

  // Upstream `mergeSliceWithSpecialElements`: applies `$patch: delete` items and a list-level
  // `$patch: replace`, leaving only plain items in `patch`.
  static Status ApplySpecialElements(Json& original, Json& patch, const std::string& merge_key) {
    Json plain = Json::array();
    bool replace = false;
    for (Json& item : patch) {
      auto d = item.find(smp::kDirectiveMarker);
      if (d == item.end()) {
        plain.push_back(std::move(item));
        continue;
      }
      if (*d == "delete") {
        auto key = item.find(merge_key);
        if (key == item.end()) return smp::NoMergeKey(item, merge_key);
        for (auto it = original.begin(); it != original.end();) {
          auto k = it->is_object() ? it->find(merge_key) : it->end();
          bool match = it->is_object() && k != it->end() && *k == *key;
          it = match ? original.erase(it) : std::next(it);
        }
      } else if (*d == "replace") {
        replace = true;
      } else if (*d == "merge") {
        return BadRequestError("merging lists cannot yet be specified in the patch");
      } else {
        return BadRequestError("unknown patch type: " + smp::Describe(*d) +
                               " in map: " + smp::Describe(item));
      }
    }
    if (replace) {
      for (Json& item : plain) smp::Clean(item);
      original = std::move(plain);
      patch = Json::array();
    } else {
      patch = std::move(plain);
    }
    return Status::Ok();
  }

  // Upstream `mergeSliceWithoutSpecialElements`: merge each patch item into the original item
  // with the same merge key value, or append it.
  Status MergeItems(Json& original, Json& patch, const std::string& merge_key,
                    const std::string& path) {
    std::string item_path = path + "[]";
    for (Json& item : patch) {
      auto key = item.find(merge_key);
      if (key == item.end()) return smp::NoMergeKey(item, merge_key);
      Result<int64_t> found = smp::FindMapByKeyValue(original, merge_key, *key);
      if (!found.ok()) return found.status();
      if (*found >= 0) {
        Json patch_item = item;
        CAPSTAN_RETURN_IF_ERROR(
            MergeMap(original[static_cast<size_t>(*found)], patch_item, item_path, false));
      } else {
        Json copy = item;
        if (smp::Clean(copy)) original.push_back(std::move(copy));
      }
    }
    return Status::Ok();
  }

  const PatchSchema& schema_;
};

}  // namespace

Result<nlohmann::json> ApplyStrategicMergePatch(const nlohmann::json& original,
                                                const nlohmann::json& patch,
                                                const PatchSchema& schema) {
  if (!original.is_object()) return BadRequestError("the object to patch must be a JSON object");
  if (!patch.is_object()) return BadRequestError("a strategic merge patch must be a JSON object");
  Json result = original;
  Json p = patch;
  Merger merger(schema);
  CAPSTAN_RETURN_IF_ERROR(merger.MergeMap(result, p, "", false));
  return result;
}

}  // namespace capstan::patch
