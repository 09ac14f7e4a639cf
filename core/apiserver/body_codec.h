// Request bodies: JSON, YAML and Kubernetes protobuf objects, and patch documents per patch type.
// Partners: api_writes.cc, api_subresources.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/apiserver/http_request.h"
#include "core/common/status.h"

namespace capstan::apiserver {

// Decodes an object body by Content-Type: JSON (default), YAML (`application/yaml`), or
// Kubernetes protobuf (`application/vnd.kubernetes.protobuf`). Errors: kBadRequest for bodies
// that do not parse; kUnsupportedMediaType for other types.
Result<nlohmann::json> DecodeBody(const HttpRequest& request);

// Parses a PATCH body for `content_type` (without parameters). Errors: kUnsupportedMediaType
// for unknown patch types (upstream lists the supported ones); kBadRequest for bad bodies.
Result<nlohmann::json> ParsePatchBody(std::string_view body, std::string_view content_type);

}  // namespace capstan::apiserver
