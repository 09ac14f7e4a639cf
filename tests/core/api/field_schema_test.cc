// Tests for core/api/field_schema.{h,cc} against the upstream OpenAPI documents: which fields are
// known, pruning and its upstream-style paths, the apply-style paths, and a per-Pod cost figure.
#include "core/api/field_schema.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/api/openapi.h"
#include "tests/core/api/test_util.h"

namespace capstan::api {
namespace {

using Json = nlohmann::json;

const GroupVersionKind kPod{"", "v1", "Pod"};

class FieldSchemaTest : public testing::FieldSchemaSuite {
 protected:
  static const FieldNode& Root(const GroupVersionKind& gvk) {
    Result<FieldSchema> schema = cache_->For(gvk);
    EXPECT_TRUE(schema.ok()) << schema.status().ToString();
    static const FieldNode kEmpty;
    return schema.ok() ? *schema->root : kEmpty;
  }

  // Prunes `obj` as a `gvk` and returns the removed paths.
  static std::vector<std::string> Prune(Json& obj, const GroupVersionKind& gvk = kPod) {
    std::vector<std::string> removed;
    PruneUnknownFields(obj, Root(gvk), &removed);
    return removed;
  }
};

Json SamplePod() {
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "default",
                 "labels": {"app": "web", "example.com/any-key": "x"},
                 "annotations": {"a": "b"},
                 "managedFields": [{"manager": "kubectl", "operation": "Update",
                                    "fieldsType": "FieldsV1",
                                    "fieldsV1": {"f:spec": {"f:containers": {}}}}]},
    "spec": {
      "containers": [{
        "name": "nginx", "image": "nginx:1.25",
        "ports": [{"containerPort": 80, "protocol": "TCP"}],
        "resources": {"limits": {"cpu": "500m", "memory": 128974848}},
        "livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
        "env": [{"name": "A", "value": "1"}],
        "volumeMounts": [{"name": "data", "mountPath": "/data"}]
      }],
      "volumes": [{"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}],
      "nodeSelector": {"disk": "ssd"},
      "overhead": {"cpu": "10m"},
      "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]
    },
    "status": {"phase": "Pending", "startTime": "2024-01-01T00:00:00Z"}
  })");
}

TEST_F(FieldSchemaTest, AKnownPodLosesNothing) {
  Json pod = SamplePod();
  Json before = pod;
  EXPECT_TRUE(Prune(pod).empty());
  EXPECT_EQ(pod, before);
}

struct UnknownCase {
  const char* name;
  const char* json_pointer;  // where the unknown field is added
  const char* expected_path;
};

class UnknownFieldTest : public FieldSchemaTest,
                         public ::testing::WithParamInterface<UnknownCase> {};

TEST_P(UnknownFieldTest, IsRemovedAndReportedWithUpstreamPath) {
  Json pod = SamplePod();
  Json expected = pod;
  pod[Json::json_pointer(GetParam().json_pointer)] = Json{{"x", 1}};
  EXPECT_EQ(Prune(pod), std::vector<std::string>{GetParam().expected_path});
  EXPECT_EQ(pod, expected);
}

INSTANTIATE_TEST_SUITE_P(
    Positions, UnknownFieldTest,
    ::testing::Values(UnknownCase{"TopLevel", "/foo", "foo"},
                      UnknownCase{"InMetadata", "/metadata/foo", "metadata.foo"},
                      UnknownCase{"InSpec", "/spec/foo", "spec.foo"},
                      UnknownCase{"InListItem", "/spec/containers/0/foo", "spec.containers[0].foo"},
                      UnknownCase{"DeepInListItem", "/spec/containers/0/ports/0/foo",
                                  "spec.containers[0].ports[0].foo"},
                      UnknownCase{"InNestedObject", "/spec/containers/0/livenessProbe/httpGet/foo",
                                  "spec.containers[0].livenessProbe.httpGet.foo"},
                      UnknownCase{"InStatus", "/status/foo", "status.foo"}),
    [](const ::testing::TestParamInfo<UnknownCase>& param) { return param.param.name; });

TEST_F(FieldSchemaTest, SeveralUnknownFieldsAreAllReportedAndJoinedAsUpstream) {
  Json pod = SamplePod();
  pod["spec"]["a"] = 1;
  pod["spec"]["b"] = "x";
  std::vector<std::string> removed = Prune(pod);
  EXPECT_EQ(removed, (std::vector<std::string>{"spec.a", "spec.b"}));
  EXPECT_EQ(StrictDecodingMessage(removed),
            "strict decoding error: unknown field \"spec.a\", unknown field \"spec.b\"");
}

TEST_F(FieldSchemaTest, ArbitraryMapKeysAreKept) {
  Json pod = SamplePod();
  pod["metadata"]["labels"]["another.io/key"] = "v";
  pod["spec"]["nodeSelector"]["anything"] = "goes";
  EXPECT_TRUE(Prune(pod).empty());
  EXPECT_EQ(pod["metadata"]["labels"]["another.io/key"], "v");
  EXPECT_EQ(pod["spec"]["nodeSelector"]["anything"], "goes");
}

TEST_F(FieldSchemaTest, MapValuesAreCheckedAgainstTheirSchemaAndNamedByKey) {
  // JSONSchemaProps.properties is a map of JSONSchemaProps (recursive through a map).
  const GroupVersionKind crd{"apiextensions.k8s.io", "v1", "CustomResourceDefinition"};
  Json obj = Json::parse(R"({"apiVersion":"apiextensions.k8s.io/v1",
    "kind":"CustomResourceDefinition","metadata":{"name":"a.b"},
    "spec":{"group":"b","names":{"plural":"a","kind":"A"},"scope":"Namespaced",
      "versions":[{"name":"v1","served":true,"storage":true,
        "schema":{"openAPIV3Schema":{"type":"object","properties":{
          "spec":{"type":"object","bogus":1,
                  "properties":{"size":{"type":"integer","deeper":2}}}}}}}]}})");
  const std::string prefix = "spec.versions[0].schema.openAPIV3Schema.properties.spec.";
  EXPECT_EQ(Prune(obj, crd),
            (std::vector<std::string>{prefix + "bogus", prefix + "properties.size.deeper"}));
  EXPECT_EQ(obj["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
               ["properties"]["size"],
            Json({{"type", "integer"}}));
}

TEST_F(FieldSchemaTest, PositionsWithoutAFixedShapeKeepAnything) {
  Json pod = SamplePod();
  // FieldsV1 (no properties), IntOrString as a number, Quantity as a number.
  pod["metadata"]["managedFields"][0]["fieldsV1"]["f:anything"]["f:deeper"] = Json::object();
  pod["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"] = 8080;
  pod["spec"]["containers"][0]["resources"]["requests"]["memory"] = 1024;
  Json before = pod;
  EXPECT_TRUE(Prune(pod).empty());
  EXPECT_EQ(pod, before);
}

TEST_F(FieldSchemaTest, JsonPositionsKeepAnything) {
  // A CRD's `spec.versions[].schema.openAPIV3Schema.default` is JSON (a schema without a type).
  const GroupVersionKind crd{"apiextensions.k8s.io", "v1", "CustomResourceDefinition"};
  Json obj = Json::parse(R"({"apiVersion":"apiextensions.k8s.io/v1",
    "kind":"CustomResourceDefinition","metadata":{"name":"a.b"},
    "spec":{"group":"b","names":{"plural":"a","kind":"A"},"scope":"Namespaced",
      "versions":[{"name":"v1","served":true,"storage":true,
        "schema":{"openAPIV3Schema":{"type":"object","default":{"free":{"form":1}},
                                     "x-kubernetes-preserve-unknown-fields":true,
                                     "bogus":1}}}]}})");
  std::vector<std::string> removed = Prune(obj, crd);
  EXPECT_EQ(removed, std::vector<std::string>{"spec.versions[0].schema.openAPIV3Schema.bogus"});
  EXPECT_EQ(obj["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["default"]["free"]["form"], 1);
}

TEST(FieldIndexTest, PreserveUnknownFieldsPositionsKeepUnknownFields) {
  // The built-in documents carry no such marker today; aggregated or future ones may.
  Result<std::shared_ptr<const FieldIndex>> index = FieldIndex::FromOpenApiV3(R"({
    "components": {"schemas": {
      "w.Widget": {"x-kubernetes-group-version-kind": [{"group":"w","version":"v1","kind":"W"}],
        "properties": {"spec": {"$ref": "#/components/schemas/w.Spec"},
                       "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                                "properties": {"a": {"type": "string"}}},
                       "items": {"type": "array", "items": {"allOf": [
                         {"$ref": "#/components/schemas/w.Spec"}]}}}},
      "w.Spec": {"properties": {"size": {"type": "integer"},
                                "next": {"$ref": "#/components/schemas/w.Spec"}}}}}})");
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  const FieldNode* root = (*index)->Root({"w", "v1", "W"});
  ASSERT_NE(root, nullptr);
  Json obj = Json::parse(R"({"open": {"a": "x", "b": {"c": 1}},
    "spec": {"size": 1, "next": {"size": 2, "next": {"x": 1}}},
    "items": [{"size": 1}, {"y": 2}]})");
  std::vector<std::string> removed;
  PruneUnknownFields(obj, *root, &removed);
  EXPECT_EQ(removed, (std::vector<std::string>{"items[1].y", "spec.next.next.x"}));
  EXPECT_EQ(obj["open"]["b"]["c"], 1);
}

TEST(FieldIndexTest, ADocumentWithoutSchemasIsInvalid) {
  EXPECT_EQ(FieldIndex::FromOpenApiV3("{}").status().code(), StatusCode::kInvalid);
  EXPECT_EQ(FieldIndex::FromOpenApiV3("not json").status().code(), StatusCode::kInvalid);
}

TEST_F(FieldSchemaTest, RawExtensionKeepsAnything) {
  // A ControllerRevision's `data` is a RawExtension.
  const GroupVersionKind revision{"apps", "v1", "ControllerRevision"};
  Json obj = Json::parse(R"({"apiVersion":"apps/v1","kind":"ControllerRevision",
    "metadata":{"name":"r"},"revision":1,"data":{"spec":{"anything":{"at":"all"}}}})");
  Json before = obj;
  EXPECT_TRUE(Prune(obj, revision).empty());
  EXPECT_EQ(obj, before);
}

TEST_F(FieldSchemaTest, DeploymentTemplatesAreCheckedDeeply) {
  const GroupVersionKind deployment{"apps", "v1", "Deployment"};
  Json obj = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"a":"b"}},
    "template":{"metadata":{"labels":{"a":"b"}},
      "spec":{"containers":[{"name":"c","image":"i"},{"name":"d","image":"i","bad":true}]}}}})");
  EXPECT_EQ(Prune(obj, deployment),
            std::vector<std::string>{"spec.template.spec.containers[1].bad"});
  EXPECT_FALSE(obj["spec"]["template"]["spec"]["containers"][1].contains("bad"));
}

TEST_F(FieldSchemaTest, ValuesOfTheWrongTypeAreLeftForValidation) {
  Json pod = SamplePod();
  pod["spec"]["containers"] = "not a list";
  pod["metadata"] = 7;
  Json before = pod;
  EXPECT_TRUE(Prune(pod).empty());
  EXPECT_EQ(pod, before);
}

TEST_F(FieldSchemaTest, ApplyStylePathsNameListMapItemsByKeyAndKeepTheObject) {
  Json pod = SamplePod();
  pod["spec"]["foo"] = 1;
  pod["spec"]["containers"][0]["bar"] = 1;
  pod["spec"]["containers"][0]["ports"][0]["baz"] = 1;
  Json before = pod;
  std::vector<std::string> paths;
  FindUnknownFieldsForApply(pod, Root(kPod), &paths);
  EXPECT_EQ(pod, before);
  EXPECT_EQ(paths, (std::vector<std::string>{
                       ".spec.containers[name=\"nginx\"].bar",
                       ".spec.containers[name=\"nginx\"].ports[containerPort=80,protocol=\"TCP\"]"
                       ".baz",
                       ".spec.foo"}));
}

TEST_F(FieldSchemaTest, KindsWithoutASchemaAreNotFound) {
  Result<FieldSchema> schema = cache_->For({"example.com", "v1", "Widget"});
  EXPECT_EQ(schema.status().code(), StatusCode::kNotFound);
  Result<FieldSchema> kind = cache_->For({"", "v1", "NoSuchKind"});
  EXPECT_EQ(kind.status().code(), StatusCode::kNotFound);
}

TEST_F(FieldSchemaTest, TheCacheReturnsTheSameIndexForOneGroupVersion) {
  Result<FieldSchema> pod = cache_->For(kPod);
  Result<FieldSchema> service = cache_->For({"", "v1", "Service"});
  ASSERT_TRUE(pod.ok() && service.ok());
  EXPECT_EQ(pod->index.get(), service->index.get());
  EXPECT_NE(pod->root, service->root);
}

// Not a timing assertion: prints the cost of checking one known Pod, the create path's overhead.
TEST_F(FieldSchemaTest, ReportsTheCostOfPruningAPod) {
  const FieldNode& root = Root(kPod);
  Json pod = SamplePod();
  constexpr int kRounds = 20000;
  size_t removed_total = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) {
    std::vector<std::string> removed;
    PruneUnknownFields(pod, root, &removed);
    removed_total += removed.size();
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  double ns = std::chrono::duration<double, std::nano>(elapsed).count() / kRounds;
  std::string text = pod.dump();
  auto parse_start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) removed_total += Json::parse(text).is_object() ? 0 : 1;
  double parse_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - parse_start)
          .count() /
      kRounds;
  std::printf("{\"bench\":\"prune_known_pod\",\"ns_per_pod\":%.0f,\"parse_ns_per_pod\":%.0f}\n", ns,
              parse_ns);
  EXPECT_EQ(removed_total, 0u);

  auto build_start = std::chrono::steady_clock::now();
  Result<ServedDocument> doc = openapi_->ServeV3("api/v1", "");
  ASSERT_TRUE(doc.ok());
  Result<std::shared_ptr<const FieldIndex>> index = FieldIndex::FromOpenApiV3(*doc->body);
  ASSERT_TRUE(index.ok());
  double build_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - build_start)
          .count();
  std::printf("{\"bench\":\"build_core_v1_index\",\"ms\":%.1f}\n", build_ms);
}

}  // namespace
}  // namespace capstan::api
