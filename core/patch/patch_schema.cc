// TablePatchSchema and the OpenAPI marker parsing shared with adapters. Header: patch_schema.h.
#include "core/patch/patch_schema.h"

namespace capstan::patch {
namespace {

// Builds views into `spec`, which must stay where it is.
FieldMeta MetaFromSpec(const FieldSpec& spec) {
  FieldMeta m;
  m.kind = spec.kind;
  std::string_view rest = spec.strategy;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    if (part == "merge") m.patch_merge = true;
    if (part == "replace") m.patch_replace = true;
    if (part == "retainKeys") m.patch_retain_keys = true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  m.patch_merge_key = spec.merge_key;
  if (spec.list_type == "atomic") m.list_type = ListType::kAtomic;
  if (spec.list_type == "set") m.list_type = ListType::kSet;
  if (spec.list_type == "map") m.list_type = ListType::kMap;
  m.list_map_keys = spec.list_map_keys;
  if (spec.list_map_key_defaults.is_object()) m.list_map_key_defaults = &spec.list_map_key_defaults;
  if (spec.map_type == "atomic") m.map_type = MapType::kAtomic;
  if (spec.map_type == "granular") m.map_type = MapType::kGranular;
  return m;
}

std::string StringExt(const nlohmann::json& node, const char* name) {
  auto it = node.find(name);
  if (it == node.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace

ListType EffectiveListType(const FieldMeta& meta) {
  if (meta.list_type != ListType::kUnspecified) return meta.list_type;
  if (meta.patch_merge) return meta.patch_merge_key.empty() ? ListType::kSet : ListType::kMap;
  return ListType::kAtomic;
}

std::vector<std::string_view> EffectiveListMapKeys(const FieldMeta& meta) {
  std::vector<std::string_view> keys;
  if (!meta.list_map_keys.empty()) {
    for (const std::string& k : meta.list_map_keys) keys.push_back(k);
  } else if (!meta.patch_merge_key.empty()) {
    keys.push_back(meta.patch_merge_key);
  }
  return keys;
}

TablePatchSchema::TablePatchSchema(std::vector<FieldSpec> rows) {
  for (FieldSpec& spec : rows) {
    std::string path = spec.path;
    auto [it, inserted] = rows_.insert_or_assign(std::move(path), Row{std::move(spec), {}});
    it->second.meta = MetaFromSpec(it->second.spec);
  }
}

std::optional<FieldMeta> TablePatchSchema::Lookup(std::string_view path) const {
  auto it = rows_.find(path);
  if (it == rows_.end()) return std::nullopt;
  return it->second.meta;
}

void FieldMetaFromOpenApi(const nlohmann::json& node, FieldSpec& storage, FieldMeta& meta) {
  storage = FieldSpec{};
  if (!node.is_object()) {
    meta = FieldMeta{};
    return;
  }
  std::string type = StringExt(node, "type");
  // Order matters (declared properties win over additionalProperties), so two branches share
  // a body on purpose.
  // NOLINTBEGIN(bugprone-branch-clone)
  if (type == "array") {
    storage.kind = ValueKind::kList;
  } else if (node.contains("properties")) {
    storage.kind = ValueKind::kStruct;
  } else if (auto ap = node.find("additionalProperties"); ap != node.end() && !ap->is_boolean()) {
    storage.kind = ValueKind::kMap;
  } else if (type == "object") {
    storage.kind = ValueKind::kStruct;
  }
  // NOLINTEND(bugprone-branch-clone)
  storage.strategy = StringExt(node, "x-kubernetes-patch-strategy");
  storage.merge_key = StringExt(node, "x-kubernetes-patch-merge-key");
  storage.list_type = StringExt(node, "x-kubernetes-list-type");
  storage.map_type = StringExt(node, "x-kubernetes-map-type");
  if (auto keys = node.find("x-kubernetes-list-map-keys"); keys != node.end() && keys->is_array()) {
    for (const nlohmann::json& k : *keys) {
      if (k.is_string()) storage.list_map_keys.push_back(k.get<std::string>());
    }
  }
  meta = MetaFromSpec(storage);
}

}  // namespace capstan::patch
