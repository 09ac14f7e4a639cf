// Tests for core/api/patch_meta.{h,cc} through OpenApi::PatchMetaFor: the merge keys and
// strategies kubectl's patches rely on, pruning of unannotated fields, and recursive schemas.
#include "core/api/patch_meta.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "core/api/openapi.h"
#include "tests/core/api/test_util.h"

namespace capstan::api {
namespace {

class PatchMetaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<std::unique_ptr<OpenApi>> loaded = OpenApi::Load(testing::OpenApiDir(), nullptr);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    openapi_ = loaded->release();
  }
  static void TearDownTestSuite() {
    delete openapi_;
    openapi_ = nullptr;
  }

  static PatchMeta Meta(const GroupVersionKind& gvk) {
    Result<PatchMeta> meta = openapi_->PatchMetaFor(gvk);
    EXPECT_TRUE(meta.ok()) << meta.status().ToString();
    return meta.ok() ? *meta : PatchMeta(nullptr, nullptr);
  }

  static OpenApi* openapi_;
};

OpenApi* PatchMetaTest::openapi_ = nullptr;

struct MergeKeyCase {
  GroupVersionKind gvk;
  std::string path;
  std::string merge_key;
  bool retain_keys;
};

void PrintTo(const MergeKeyCase& c, std::ostream* os) { *os << c.gvk.kind << " " << c.path; }

class PatchMergeKeyTest : public PatchMetaTest,
                          public ::testing::WithParamInterface<MergeKeyCase> {};

TEST_P(PatchMergeKeyTest, ListMergesByItsUpstreamKey) {
  const MergeKeyCase& c = GetParam();
  PatchMeta meta = Meta(c.gvk);
  const PatchNode* node = meta.Lookup(c.path);
  ASSERT_NE(node, nullptr) << c.gvk.kind << " " << c.path;
  EXPECT_EQ(node->type(), NodeType::kArray);
  EXPECT_EQ(node->merge_key(), c.merge_key);
  EXPECT_TRUE(node->merge());
  EXPECT_EQ(node->retain_keys(), c.retain_keys);
}

const GroupVersionKind kPod{"", "v1", "Pod"};
const GroupVersionKind kDeployment{"apps", "v1", "Deployment"};

INSTANTIATE_TEST_SUITE_P(
    Table, PatchMergeKeyTest,
    ::testing::Values(MergeKeyCase{kPod, "spec.containers", "name", false},
                      MergeKeyCase{kPod, "spec.initContainers", "name", false},
                      MergeKeyCase{kPod, "spec.ephemeralContainers", "name", false},
                      MergeKeyCase{kPod, "spec.containers[].ports", "containerPort", false},
                      MergeKeyCase{kPod, "spec.containers[].env", "name", false},
                      MergeKeyCase{kPod, "spec.containers[].volumeMounts", "mountPath", false},
                      MergeKeyCase{kPod, "spec.volumes", "name", true},
                      MergeKeyCase{kPod, "spec.imagePullSecrets", "name", false},
                      MergeKeyCase{kPod, "status.conditions", "type", false},
                      MergeKeyCase{kPod, "metadata.ownerReferences", "uid", false},
                      MergeKeyCase{kDeployment, "spec.template.spec.containers", "name", false},
                      MergeKeyCase{kDeployment, "spec.template.spec.containers[].env", "name",
                                   false},
                      MergeKeyCase{kDeployment, "spec.template.spec.volumes", "name", true},
                      MergeKeyCase{kDeployment, "status.conditions", "type", false},
                      MergeKeyCase{{"", "v1", "Service"}, "spec.ports", "port", false},
                      MergeKeyCase{{"batch", "v1", "CronJob"},
                                   "spec.jobTemplate.spec.template.spec.containers",
                                   "name",
                                   false}));

TEST_F(PatchMetaTest, ListMapKeysAndTypesComeAlong) {
  PatchMeta pod = Meta(kPod);
  const PatchNode* ports = pod.Lookup("spec.containers[].ports");
  ASSERT_NE(ports, nullptr);
  EXPECT_EQ(ports->list_type(), ListType::kMap);
  EXPECT_EQ(ports->list_map_keys(), (std::vector<std::string>{"containerPort", "protocol"}));
  // Upstream has no merge key for taints (atomic): a patch replaces the whole list, which is
  // why `kubectl taint` sends every taint.
  const PatchNode* taints = Meta({"", "v1", "Node"}).Lookup("spec.taints");
  ASSERT_NE(taints, nullptr);
  EXPECT_EQ(taints->list_type(), ListType::kAtomic);
  EXPECT_TRUE(taints->merge_key().empty());
  const PatchNode* tolerations = pod.Lookup("spec.tolerations");
  ASSERT_NE(tolerations, nullptr);
  EXPECT_EQ(tolerations->list_type(), ListType::kAtomic);
  EXPECT_TRUE(tolerations->merge_key().empty());
  const PatchNode* finalizers = pod.Lookup("metadata.finalizers");
  ASSERT_NE(finalizers, nullptr);
  EXPECT_EQ(finalizers->list_type(), ListType::kSet);
  EXPECT_TRUE(finalizers->merge());  // a list of strings merged as a union
  // x-kubernetes-map-type on a referenced type (NodeSelector) reaches the field.
  PatchMeta pv = Meta({"", "v1", "PersistentVolume"});
  const PatchNode* required = pv.Lookup("spec.nodeAffinity.required");
  ASSERT_NE(required, nullptr);
  EXPECT_EQ(required->map_type(), MapType::kAtomic);
}

TEST_F(PatchMetaTest, DeploymentStrategyRetainsKeys) {
  const PatchNode* strategy = Meta(kDeployment).Lookup("spec.strategy");
  ASSERT_NE(strategy, nullptr);
  EXPECT_EQ(strategy->type(), NodeType::kObject);
  EXPECT_TRUE(strategy->retain_keys());
  EXPECT_FALSE(strategy->merge());
}

TEST_F(PatchMetaTest, FieldsWithoutMarkersArePruned) {
  PatchMeta pod = Meta(kPod);
  EXPECT_EQ(pod.Lookup("spec.hostname"), nullptr);
  EXPECT_EQ(pod.Lookup("metadata.labels"), nullptr);
  EXPECT_EQ(pod.Lookup("spec.containers[].image"), nullptr);
  EXPECT_EQ(pod.Lookup("spec.nosuchfield"), nullptr);
  const PatchNode* spec = pod.Lookup("spec");
  ASSERT_NE(spec, nullptr);
  for (const auto& [name, child] : spec->fields()) {
    EXPECT_NE(child, nullptr) << name;
  }
  EXPECT_LT(spec->fields().size(), 20u);  // PodSpec has ~40 properties
  EXPECT_EQ(pod.Lookup(""), pod.root());
}

TEST_F(PatchMetaTest, IndexIsBuiltOncePerGroupVersion) {
  PatchMeta a = Meta(kPod);
  PatchMeta b = Meta({"", "v1", "Service"});
  PatchMeta c = Meta(kPod);
  EXPECT_EQ(a.root(), c.root());
  // Pod and Service share ObjectMeta's shape inside one index.
  const PatchNode* pod_owner = a.Lookup("metadata.ownerReferences");
  const PatchNode* svc_owner = b.Lookup("metadata.ownerReferences");
  ASSERT_NE(pod_owner, nullptr);
  ASSERT_NE(svc_owner, nullptr);
  EXPECT_EQ(pod_owner->merge_key(), svc_owner->merge_key());
}

TEST_F(PatchMetaTest, RecursiveCustomResourceSchemaBuilds) {
  PatchMeta crd = Meta({"apiextensions.k8s.io", "v1", "CustomResourceDefinition"});
  const PatchNode* versions = crd.Lookup("spec.versions");
  ASSERT_NE(versions, nullptr);
  EXPECT_EQ(versions->list_type(), ListType::kAtomic);
}

TEST_F(PatchMetaTest, UnknownKindsAndDocumentsAreNotFound) {
  EXPECT_EQ(openapi_->PatchMetaFor({"", "v1", "Widget"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(openapi_->PatchMetaFor({"example.com", "v1", "Widget"}).status().code(),
            StatusCode::kNotFound);
}

TEST(PatchIndexTest, HandlesSelfReferenceAndInlineSchemas) {
  const char* doc = R"({
    "paths": {"/x": {"description": "dropped while parsing"}},
    "components": {"schemas": {
      "t.Node": {"type": "object", "properties": {
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/t.Node"},
                     "x-kubernetes-patch-merge-key": "id", "x-kubernetes-patch-strategy": "merge"},
        "description": {"type": "object", "properties": {
          "tags": {"type": "array", "items": {"type": "string"},
                   "x-kubernetes-list-type": "set"}}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "name": {"type": "string", "description": "plain"}}},
      "t.Tree": {"type": "object",
                 "x-kubernetes-group-version-kind": [{"group": "t", "version": "v1", "kind": "Tree"}],
                 "properties": {"root": {"allOf": [{"$ref": "#/components/schemas/t.Node"}]}}}}}})";
  Result<std::shared_ptr<const PatchIndex>> index = PatchIndex::FromOpenApiV3(doc);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  Result<PatchMeta> tree = (*index)->For({"t", "v1", "Tree"});
  ASSERT_TRUE(tree.ok());
  const PatchNode* deep = tree->Lookup("root.children[].children[].children");
  ASSERT_NE(deep, nullptr);
  EXPECT_EQ(deep->merge_key(), "id");
  // A property named "description" holding a schema is kept; only string descriptions go.
  const PatchNode* tags = tree->Lookup("root.description.tags");
  ASSERT_NE(tags, nullptr);
  EXPECT_EQ(tags->list_type(), ListType::kSet);
  EXPECT_EQ(tree->Lookup("root.labels"), nullptr);
  EXPECT_EQ(tree->Lookup("root.name"), nullptr);
  EXPECT_EQ((*index)->For({"t", "v1", "Node"}).status().code(), StatusCode::kNotFound);
}

TEST(PatchIndexTest, RejectsDocumentsThatAreNotOpenApiV3) {
  EXPECT_EQ(PatchIndex::FromOpenApiV3("{not json").status().code(), StatusCode::kInvalid);
  EXPECT_EQ(PatchIndex::FromOpenApiV3("[]").status().code(), StatusCode::kInvalid);
  EXPECT_EQ(PatchIndex::FromOpenApiV3(R"({"components":{}})").status().code(),
            StatusCode::kInvalid);
}

}  // namespace
}  // namespace capstan::api
