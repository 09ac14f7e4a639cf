// Tests for core/patch/patch_schema.h: table lookups, effective list semantics and the OpenAPI
// marker parsing adapters use.
#include "core/patch/patch_schema.h"

#include <gtest/gtest.h>

namespace capstan::patch {
namespace {

using Json = nlohmann::json;

TEST(PatchSchemaTest, TableAnswersByPathAndParsesStrategies) {
  TablePatchSchema schema({
      {"spec.volumes", ValueKind::kList, "merge,retainKeys", "name", "map", {"name"}, nullptr, ""},
      {"spec.selector", ValueKind::kStruct, "", "", "", {}, nullptr, "atomic"},
  });
  std::optional<FieldMeta> v = schema.Lookup("spec.volumes");
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->patch_merge);
  EXPECT_TRUE(v->patch_retain_keys);
  EXPECT_FALSE(v->patch_replace);
  EXPECT_EQ(v->patch_merge_key, "name");
  EXPECT_EQ(v->list_type, ListType::kMap);
  ASSERT_EQ(v->list_map_keys.size(), 1u);
  EXPECT_EQ(schema.Lookup("spec.selector")->map_type, MapType::kAtomic);
  EXPECT_FALSE(schema.Lookup("spec").has_value());
  EXPECT_FALSE(EmptyPatchSchema().Lookup("spec.volumes").has_value());
}

TEST(PatchSchemaTest, EffectiveListTypeFallsBackToThePatchStrategy) {
  FieldMeta keyed;
  keyed.patch_merge = true;
  keyed.patch_merge_key = "name";
  EXPECT_EQ(EffectiveListType(keyed), ListType::kMap);
  EXPECT_EQ(EffectiveListMapKeys(keyed), std::vector<std::string_view>{"name"});
  FieldMeta set;
  set.patch_merge = true;
  EXPECT_EQ(EffectiveListType(set), ListType::kSet);
  EXPECT_EQ(EffectiveListType(FieldMeta{}), ListType::kAtomic);
  FieldMeta explicit_atomic = keyed;
  explicit_atomic.list_type = ListType::kAtomic;
  EXPECT_EQ(EffectiveListType(explicit_atomic), ListType::kAtomic);
}

TEST(PatchSchemaTest, ReadsOpenApiMarkers) {
  Json ports = Json::parse(R"({"type":"array","items":{},
      "x-kubernetes-list-map-keys":["containerPort","protocol"],"x-kubernetes-list-type":"map",
      "x-kubernetes-patch-merge-key":"containerPort","x-kubernetes-patch-strategy":"merge"})");
  FieldSpec storage;
  FieldMeta meta;
  FieldMetaFromOpenApi(ports, storage, meta);
  EXPECT_EQ(meta.kind, ValueKind::kList);
  EXPECT_TRUE(meta.patch_merge);
  EXPECT_EQ(meta.patch_merge_key, "containerPort");
  EXPECT_EQ(meta.list_type, ListType::kMap);
  ASSERT_EQ(meta.list_map_keys.size(), 2u);
  EXPECT_EQ(meta.list_map_keys[1], "protocol");

  FieldMetaFromOpenApi(Json::parse(R"({"type":"object","additionalProperties":{"type":"string"}})"),
                       storage, meta);
  EXPECT_EQ(meta.kind, ValueKind::kMap);
  FieldMetaFromOpenApi(
      Json::parse(R"({"type":"object","properties":{"a":{}},"x-kubernetes-map-type":"atomic"})"),
      storage, meta);
  EXPECT_EQ(meta.kind, ValueKind::kStruct);
  EXPECT_EQ(meta.map_type, MapType::kAtomic);
}

}  // namespace
}  // namespace capstan::patch
