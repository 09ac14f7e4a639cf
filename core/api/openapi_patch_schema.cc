// Maps `PatchNode` markers onto `patch::FieldMeta`; the enums mirror each other one to one.
#include "core/api/openapi_patch_schema.h"

namespace capstan::api {
namespace {

patch::ValueKind KindOf(NodeType type) {
  switch (type) {
    case NodeType::kObject:
      return patch::ValueKind::kStruct;
    case NodeType::kArray:
      return patch::ValueKind::kList;
    case NodeType::kMap:
      return patch::ValueKind::kMap;
    case NodeType::kOther:
      break;
  }
  return patch::ValueKind::kUnknown;
}

patch::ListType ListTypeOf(ListType type) {
  switch (type) {
    case ListType::kAtomic:
      return patch::ListType::kAtomic;
    case ListType::kSet:
      return patch::ListType::kSet;
    case ListType::kMap:
      return patch::ListType::kMap;
    case ListType::kUnspecified:
      break;
  }
  return patch::ListType::kUnspecified;
}

patch::MapType MapTypeOf(MapType type) {
  switch (type) {
    case MapType::kAtomic:
      return patch::MapType::kAtomic;
    case MapType::kGranular:
      return patch::MapType::kGranular;
    case MapType::kUnspecified:
      break;
  }
  return patch::MapType::kUnspecified;
}

}  // namespace

std::optional<patch::FieldMeta> OpenApiPatchSchema::Lookup(std::string_view path) const {
  const PatchNode* node = meta_.Lookup(path);
  if (node == nullptr) return std::nullopt;
  patch::FieldMeta meta;
  meta.kind = KindOf(node->type());
  meta.patch_merge = node->merge();
  meta.patch_replace = node->replace();
  meta.patch_retain_keys = node->retain_keys();
  meta.patch_merge_key = node->merge_key();
  meta.list_type = ListTypeOf(node->list_type());
  meta.list_map_keys = node->list_map_keys();
  if (!node->list_map_key_defaults().is_null()) {
    meta.list_map_key_defaults = &node->list_map_key_defaults();
  }
  meta.map_type = MapTypeOf(node->map_type());
  return meta;
}

Result<std::shared_ptr<const patch::PatchSchema>> PatchSchemaFor(const OpenApi& openapi,
                                                                 const GroupVersionKind& gvk) {
  Result<PatchMeta> meta = openapi.PatchMetaFor(gvk);
  if (!meta.ok()) return meta.status();
  return std::shared_ptr<const patch::PatchSchema>(
      std::make_shared<OpenApiPatchSchema>(std::move(*meta)));
}

}  // namespace capstan::api
