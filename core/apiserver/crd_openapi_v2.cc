// `/openapi/v2` definitions for custom resources (crd_openapi.h): the CRD schemas in swagger 2.0
// form, merged into the upstream document by api::OpenApi::SetV2Definitions.
#include "core/apiserver/crd_openapi.h"

namespace capstan::apiserver {
namespace {

using Json = nlohmann::json;

constexpr const char* kObjectMetaRef =
    "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
constexpr const char* kListMetaRef = "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

bool IsTrue(const Json& schema, const char* key) {
  auto it = schema.find(key);
  return it != schema.end() && it->is_boolean() && it->get<bool>();
}

// One schema level in swagger 2.0 terms (see BuildCrdOpenApiV2Definitions).
Json ToV2(const Json& schema) {
  if (!schema.is_object()) return Json::object();
  Json out = schema;
  for (const char* key : {"nullable", "anyOf", "oneOf", "allOf", "not"}) out.erase(key);
  if (IsTrue(schema, "nullable") || IsTrue(schema, "x-kubernetes-int-or-string")) {
    out.erase("type");
  }
  if (IsTrue(schema, "x-kubernetes-preserve-unknown-fields")) {
    for (const char* key : {"properties", "additionalProperties", "items"}) out.erase(key);
    return out;
  }
  if (auto it = out.find("properties"); it != out.end() && it->is_object()) {
    for (auto p = it->begin(); p != it->end(); ++p) *p = ToV2(*p);
  }
  if (auto it = out.find("items"); it != out.end() && it->is_object()) *it = ToV2(*it);
  if (auto it = out.find("additionalProperties"); it != out.end() && it->is_object()) {
    *it = ToV2(*it);
  }
  return out;
}

}  // namespace

Json BuildCrdOpenApiV2Definitions(const std::vector<CrdOpenApiKind>& kinds) {
  Json out = Json::object();
  for (const CrdOpenApiKind& k : kinds) {
    const api::ResourceInfo& r = k.resource;
    std::string item = CrdSchemaName(r.group, r.version, r.kind);
    out[item] = CrdKindSchema(ToV2(k.schema), r, {{"$ref", kObjectMetaRef}});
    out[CrdSchemaName(r.group, r.version, r.list_kind)] =
        CrdListSchema(r, {{"$ref", "#/definitions/" + item}}, {{"$ref", kListMetaRef}});
  }
  return out;
}

}  // namespace capstan::apiserver
