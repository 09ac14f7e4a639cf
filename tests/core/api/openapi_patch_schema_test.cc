// Tests for core/api/openapi_patch_schema.{h,cc}: the upstream metadata reaches the patch code as
// `patch::FieldMeta`, and a strategic merge patch of a Deployment merges containers by name.
#include "core/api/openapi_patch_schema.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/patch/strategic_merge_patch.h"
#include "tests/core/api/test_util.h"

namespace capstan::api {
namespace {

using nlohmann::json;

class OpenApiPatchSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<OpenApi>> loaded = OpenApi::Load(testing::OpenApiDir(), nullptr);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    openapi_ = std::move(*loaded);
  }
  std::unique_ptr<OpenApi> openapi_;
};

TEST_F(OpenApiPatchSchemaTest, ContainerPortsCarryKeysAndKeyDefaults) {
  Result<std::shared_ptr<const patch::PatchSchema>> schema =
      PatchSchemaFor(*openapi_, {"", "v1", "Pod"});
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  std::optional<patch::FieldMeta> ports = (*schema)->Lookup("spec.containers[].ports");
  ASSERT_TRUE(ports.has_value());
  EXPECT_EQ(ports->kind, patch::ValueKind::kList);
  EXPECT_TRUE(ports->patch_merge);
  EXPECT_EQ(ports->patch_merge_key, "containerPort");
  EXPECT_EQ(ports->list_type, patch::ListType::kMap);
  EXPECT_EQ(std::vector<std::string>(ports->list_map_keys.begin(), ports->list_map_keys.end()),
            (std::vector<std::string>{"containerPort", "protocol"}));
  ASSERT_NE(ports->list_map_key_defaults, nullptr);
  EXPECT_EQ((*ports->list_map_key_defaults)["protocol"], "TCP");

  std::optional<patch::FieldMeta> volumes = (*schema)->Lookup("spec.volumes");
  ASSERT_TRUE(volumes.has_value());
  EXPECT_TRUE(volumes->patch_retain_keys);
  std::optional<patch::FieldMeta> spec = (*schema)->Lookup("spec");
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->kind, patch::ValueKind::kStruct);
  EXPECT_FALSE((*schema)->Lookup("spec.hostname").has_value());
  EXPECT_EQ(PatchSchemaFor(*openapi_, {"example.com", "v1", "Widget"}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(OpenApiPatchSchemaTest, KubectlSetImagePatchMergesContainersByName) {
  Result<std::shared_ptr<const patch::PatchSchema>> schema =
      PatchSchemaFor(*openapi_, {"apps", "v1", "Deployment"});
  ASSERT_TRUE(schema.ok());
  json live = json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"app","image":"nginx:1.25","env":[{"name":"A","value":"1"}]},
      {"name":"sidecar","image":"busybox"}]}}}})");
  // What `kubectl set image deploy/x app=nginx:1.26` sends.
  json patch = json::parse(R"({"spec":{"template":{"spec":{
      "$setElementOrder/containers":[{"name":"app"},{"name":"sidecar"}],
      "containers":[{"image":"nginx:1.26","name":"app"}]}}}})");
  Result<json> merged = patch::ApplyStrategicMergePatch(live, patch, **schema);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  const json& containers = (*merged)["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["image"], "nginx:1.26");
  EXPECT_EQ(containers[0]["env"][0]["value"], "1");  // merged, not replaced
  EXPECT_EQ(containers[1]["name"], "sidecar");
}

}  // namespace
}  // namespace capstan::api
