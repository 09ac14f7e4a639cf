// Request bodies: JSON, YAML and (later) Kubernetes protobuf objects; patch documents per patch
// type; and the adapter from the OpenAPI patch metadata (core/api) to the patch engines'
// `PatchSchema` (core/patch). Partners: api_writes.cc.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/api/openapi.h"
#include "core/apiserver/http_request.h"
#include "core/common/status.h"
#include "core/patch/patch_schema.h"

namespace capstan::apiserver {

// Decodes an object body by Content-Type: JSON (default), YAML (`application/yaml`), or
// Kubernetes protobuf (`application/vnd.kubernetes.protobuf`). Errors: kBadRequest for bodies
// that do not parse; kUnsupportedMediaType for other types.
Result<nlohmann::json> DecodeBody(const HttpRequest& request);

// Parses a PATCH body for `content_type` (without parameters). Errors: kUnsupportedMediaType
// for unknown patch types (upstream lists the supported ones); kBadRequest for bad bodies.
Result<nlohmann::json> ParsePatchBody(std::string_view body, std::string_view content_type);

// The patch metadata of `meta` as a `patch::PatchSchema`.
std::unique_ptr<patch::PatchSchema> MakePatchSchema(api::PatchMeta meta);

// Server-side apply of `applied` (the user's intent) onto `live`, owned by `manager`.
Result<nlohmann::json> ApplyConfiguration(const nlohmann::json& live, const nlohmann::json& applied,
                                          const patch::PatchSchema& schema,
                                          const std::string& manager, bool force);

}  // namespace capstan::apiserver
