// Body decoding and the OpenAPI → PatchSchema adapter (body_codec.h).
#include "core/apiserver/body_codec.h"

#include "core/common/config.h"
#include "core/patch/strategic_merge_patch.h"
#include "core/protobuf/decoder.h"

namespace capstan::apiserver {
namespace {

std::string_view MediaType(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return t;
}

// Reads api::PatchNode metadata through the patch engines' interface.
class OpenApiPatchSchema final : public patch::PatchSchema {
 public:
  explicit OpenApiPatchSchema(api::PatchMeta meta) : meta_(std::move(meta)) {}

  std::optional<patch::FieldMeta> Lookup(std::string_view path) const override {
    const api::PatchNode* node = path.empty() ? meta_.root() : meta_.Lookup(path);
    if (node == nullptr) return std::nullopt;
    patch::FieldMeta m;
    switch (node->type()) {
      case api::NodeType::kObject:
        m.kind = patch::ValueKind::kStruct;
        break;
      case api::NodeType::kMap:
        m.kind = patch::ValueKind::kMap;
        break;
      case api::NodeType::kArray:
        m.kind = patch::ValueKind::kList;
        break;
      case api::NodeType::kOther:
        m.kind = patch::ValueKind::kUnknown;
        break;
    }
    m.patch_merge = node->merge();
    m.patch_replace = node->replace();
    m.patch_retain_keys = node->retain_keys();
    m.patch_merge_key = node->merge_key();
    m.list_type = static_cast<patch::ListType>(node->list_type());
    m.list_map_keys = node->list_map_keys();
    m.map_type = static_cast<patch::MapType>(node->map_type());
    return m;
  }

 private:
  api::PatchMeta meta_;
};

}  // namespace

Result<nlohmann::json> DecodeBody(const HttpRequest& request) {
  std::string_view type = MediaType(request.Header("content-type").value_or("application/json"));
  if (type.empty() || type == "application/json" || type == "*/*") {
    Result<nlohmann::json> j = config::ParseJson(request.body, "request body");
    if (!j.ok()) return BadRequestError(j.status().message());
    return j;
  }
  if (protobuf::IsProtobufContentType(type)) return protobuf::DecodeKubernetesProtobuf(request.body);
  if (type == "application/yaml" || type == "application/x-yaml" || type == "text/yaml") {
    Result<nlohmann::json> j = config::ParseYaml(request.body, "request body");
    if (!j.ok()) return BadRequestError(j.status().message());
    return j;
  }
  return Status(StatusCode::kUnsupportedMediaType,
                "the body of the request was in an unknown format - accepted media types "
                "include: application/json, application/yaml, "
                "application/vnd.kubernetes.protobuf");
}

Result<nlohmann::json> ParsePatchBody(std::string_view body, std::string_view content_type) {
  if (content_type == "application/json-patch+json" ||
      content_type == "application/merge-patch+json" ||
      content_type == "application/strategic-merge-patch+json") {
    Result<nlohmann::json> j = config::ParseJson(body, "patch");
    if (!j.ok()) return BadRequestError(j.status().message());
    return j;
  }
  if (content_type == "application/apply-patch+yaml" ||
      content_type == "application/apply-patch+cbor") {
    Result<nlohmann::json> j = config::ParseYaml(body, "apply patch");
    if (!j.ok()) return BadRequestError(j.status().message());
    if (!j->is_object()) return BadRequestError("the apply patch must be an object");
    return j;
  }
  return Status(StatusCode::kUnsupportedMediaType,
                "the body of the request was in an unknown format - accepted media types "
                "include: application/json-patch+json, application/merge-patch+json, "
                "application/apply-patch+yaml, application/strategic-merge-patch+json");
}

std::unique_ptr<patch::PatchSchema> MakePatchSchema(api::PatchMeta meta) {
  return std::make_unique<OpenApiPatchSchema>(std::move(meta));
}

Result<nlohmann::json> ApplyConfiguration(const nlohmann::json& live, const nlohmann::json& applied,
                                          const patch::PatchSchema& schema,
                                          const std::string& /*manager*/, bool /*force*/) {
  // Until field ownership lands, apply merges the intent like a strategic merge patch: fields
  // the user sets win; fields they omit stay.
  nlohmann::json intent = applied;
  intent.erase("status");
  return patch::ApplyStrategicMergePatch(live, intent, schema);
}

}  // namespace capstan::apiserver
