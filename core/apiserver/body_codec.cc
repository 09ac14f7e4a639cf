// Body decoding (body_codec.h).
#include "core/apiserver/body_codec.h"

#include "core/common/config.h"
#include "core/protobuf/decoder.h"

namespace capstan::apiserver {
namespace {

std::string_view MediaType(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return t;
}

}  // namespace

Result<nlohmann::json> DecodeBody(const HttpRequest& request) {
  std::string_view type = MediaType(request.Header("content-type").value_or("application/json"));
  if (type.empty() || type == "application/json" || type == "*/*") {
    Result<nlohmann::json> j = config::ParseJson(request.body, "request body");
    if (!j.ok()) return BadRequestError(j.status().message());
    return j;
  }
  if (protobuf::IsProtobufContentType(type))
    return protobuf::DecodeKubernetesProtobuf(request.body);
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

}  // namespace capstan::apiserver
