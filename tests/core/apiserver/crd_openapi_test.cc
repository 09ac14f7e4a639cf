// Tests for core/apiserver/crd_openapi.h: the OpenAPI v3 document of a custom-resource
// group-version has what kubectl 1.32 looks for (PATCH with `fieldValidation` and the GVK) and
// what `kubectl explain` reads (components with x-kubernetes-group-version-kind).
#include "core/apiserver/crd_openapi.h"

#include <gtest/gtest.h>

namespace capstan::apiserver {
namespace {

using Json = nlohmann::json;

CrdOpenApiKind CronTab(bool namespaced, bool with_subresources) {
  CrdOpenApiKind k;
  k.resource.group = "stable.example.com";
  k.resource.version = "v1";
  k.resource.kind = "CronTab";
  k.resource.plural = "crontabs";
  k.resource.singular = "crontab";
  k.resource.list_kind = "CronTabList";
  k.resource.namespaced = namespaced;
  if (with_subresources) {
    k.resource.subresources = {
        {"scale", {"autoscaling", "v1", "Scale"}, {"get", "patch", "update"}},
        {"status", {"stable.example.com", "v1", "CronTab"}, {"get", "patch", "update"}}};
  }
  k.schema = Json::parse(R"({"type": "object", "description": "a cron tab",
      "properties": {"spec": {"type": "object", "properties": {"cronSpec": {"type": "string"}}}}})");
  return k;
}

bool HasParam(const Json& op, const std::string& name) {
  for (const Json& p : op.value("parameters", Json::array())) {
    if (p.value("name", "") == name) return true;
  }
  return false;
}

TEST(CrdOpenApiTest, SchemaNamesReverseTheGroup) {
  EXPECT_EQ(CrdSchemaName("stable.example.com", "v1", "CronTab"), "com.example.stable.v1.CronTab");
  EXPECT_EQ(CrdSchemaName("example", "v1", "Foo"), "example.v1.Foo");
}

TEST(CrdOpenApiTest, PatchOperationDeclaresFieldValidationAndTheKind) {
  Json doc = Json::parse(
      BuildCrdOpenApiV3({"stable.example.com", "v1"}, {CronTab(true, false)}, Json::object()));
  const Json& paths = doc["paths"];
  const std::string one = "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}";
  ASSERT_TRUE(paths.contains(one)) << doc["paths"].dump();
  const Json& patch = paths[one]["patch"];
  EXPECT_TRUE(HasParam(patch, "fieldValidation"));
  EXPECT_EQ(patch["x-kubernetes-action"], "patch");
  EXPECT_EQ(patch["x-kubernetes-group-version-kind"],
            Json({{"group", "stable.example.com"}, {"version", "v1"}, {"kind", "CronTab"}}));
  EXPECT_TRUE(patch["requestBody"]["content"].contains("application/merge-patch+json"));
  EXPECT_TRUE(HasParam(paths[one]["put"], "fieldValidation"));
  EXPECT_TRUE(paths.contains("/apis/stable.example.com/v1/namespaces/{namespace}/crontabs"));
  EXPECT_TRUE(paths.contains("/apis/stable.example.com/v1/crontabs"));
  EXPECT_EQ(doc["openapi"], "3.0.0");
}

TEST(CrdOpenApiTest, ComponentsCarryTheKindSchemaWithGvkAndObjectMeta) {
  Json doc = Json::parse(
      BuildCrdOpenApiV3({"stable.example.com", "v1"}, {CronTab(true, false)}, Json::object()));
  const Json& schemas = doc["components"]["schemas"];
  ASSERT_TRUE(schemas.contains("com.example.stable.v1.CronTab"));
  const Json& s = schemas["com.example.stable.v1.CronTab"];
  EXPECT_EQ(
      s["x-kubernetes-group-version-kind"],
      Json::parse(R"([{"group": "stable.example.com", "kind": "CronTab", "version": "v1"}])"));
  EXPECT_EQ(s["properties"]["metadata"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  EXPECT_EQ(s["properties"]["spec"]["properties"]["cronSpec"]["type"], "string");
  EXPECT_EQ(s["description"], "a cron tab");
  const Json& list = schemas["com.example.stable.v1.CronTabList"];
  EXPECT_EQ(list["properties"]["items"]["items"]["$ref"],
            "#/components/schemas/com.example.stable.v1.CronTab");
  EXPECT_EQ(list["x-kubernetes-group-version-kind"][0]["kind"], "CronTabList");
}

TEST(CrdOpenApiTest, V2DefinitionsReferenceUpstreamMetaAndCarryTheGvk) {
  Json defs = BuildCrdOpenApiV2Definitions({CronTab(true, false)});
  ASSERT_TRUE(defs.contains("com.example.stable.v1.CronTab"));
  const Json& s = defs["com.example.stable.v1.CronTab"];
  EXPECT_EQ(s["properties"]["metadata"]["$ref"],
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  EXPECT_EQ(s["x-kubernetes-group-version-kind"][0]["kind"], "CronTab");
  EXPECT_EQ(s["properties"]["spec"]["properties"]["cronSpec"]["type"], "string");
  const Json& list = defs["com.example.stable.v1.CronTabList"];
  EXPECT_EQ(list["properties"]["items"]["items"]["$ref"],
            "#/definitions/com.example.stable.v1.CronTab");
  EXPECT_EQ(list["properties"]["metadata"]["$ref"],
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta");
  EXPECT_EQ(list["x-kubernetes-group-version-kind"][0]["kind"], "CronTabList");
}

TEST(CrdOpenApiTest, V2DefinitionsDropWhatSwagger2AndKubectlValidationCannotRead) {
  CrdOpenApiKind k = CronTab(true, false);
  k.schema = Json::parse(R"({"type": "object", "properties": {"spec": {"type": "object",
      "properties": {
        "nick": {"type": "string", "nullable": true},
        "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"},
                 {"type": "string"}]},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                 "properties": {"a": {"type": "string"}}},
        "mode": {"type": "string", "oneOf": [{"pattern": "^a"}], "enum": ["a", "b"]},
        "list": {"type": "array", "items": {"type": "object", "properties": {
                 "n": {"type": "integer", "nullable": true}}}}}}}})");
  const Json spec =
      BuildCrdOpenApiV2Definitions({k})["com.example.stable.v1.CronTab"]["properties"]["spec"];
  const Json& p = spec["properties"];
  EXPECT_EQ(p["nick"], Json::object());
  EXPECT_EQ(p["port"], Json({{"x-kubernetes-int-or-string", true}}));
  EXPECT_EQ(p["free"], Json({{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}));
  EXPECT_EQ(p["mode"], Json({{"type", "string"}, {"enum", {"a", "b"}}}));
  EXPECT_EQ(p["list"]["items"]["properties"]["n"], Json::object());
}

TEST(CrdOpenApiTest, ClusterScopedAndSubresourcePaths) {
  Json doc = Json::parse(
      BuildCrdOpenApiV3({"stable.example.com", "v1"}, {CronTab(false, true)}, Json::object()));
  const Json& paths = doc["paths"];
  EXPECT_TRUE(paths.contains("/apis/stable.example.com/v1/crontabs/{name}"));
  EXPECT_FALSE(paths.contains("/apis/stable.example.com/v1/namespaces/{namespace}/crontabs"));
  const Json& status = paths["/apis/stable.example.com/v1/crontabs/{name}/status"];
  EXPECT_TRUE(HasParam(status["patch"], "fieldValidation"));
  const Json& scale = paths["/apis/stable.example.com/v1/crontabs/{name}/scale"];
  EXPECT_EQ(scale["patch"]["x-kubernetes-group-version-kind"]["group"], "autoscaling");
}

TEST(CrdOpenApiTest, SharedSchemasCopyReferencedComponentsTransitively) {
  Json source = Json::parse(R"({"components": {"schemas": {
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {"properties": {"managedFields": {
      "items": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry"}}}},
    "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry": {"type": "object"},
    "io.k8s.apimachinery.pkg.apis.meta.v1.Unrelated": {"type": "object"}}}})");
  Json scale = Json::parse(R"({"components": {"schemas": {
    "io.k8s.api.autoscaling.v1.Scale": {"type": "object"}}}})");
  Json shared = SharedCrdSchemas(source, scale);
  EXPECT_TRUE(shared.contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
  EXPECT_TRUE(shared.contains("io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry"));
  EXPECT_TRUE(shared.contains("io.k8s.api.autoscaling.v1.Scale"));
  EXPECT_FALSE(shared.contains("io.k8s.apimachinery.pkg.apis.meta.v1.Unrelated"));
  Json doc =
      Json::parse(BuildCrdOpenApiV3({"stable.example.com", "v1"}, {CronTab(true, false)}, shared));
  EXPECT_TRUE(
      doc["components"]["schemas"].contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
}

TEST(CrdOpenApiTest, OutputIsDeterministic) {
  std::string a = BuildCrdOpenApiV3({"stable.example.com", "v1"}, {CronTab(true, true)}, {});
  std::string b = BuildCrdOpenApiV3({"stable.example.com", "v1"}, {CronTab(true, true)}, {});
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace capstan::apiserver
