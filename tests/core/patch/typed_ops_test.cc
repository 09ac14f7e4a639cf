// Tests for core/patch/typed_ops.h: applier field sets, comparisons, apply merges (including
// structured-merge-diff's list order) and item removal.
#include "core/patch/typed_ops.h"

#include <gtest/gtest.h>

#include "tests/core/patch/test_schema.h"

namespace capstan::patch {
namespace {

using Json = nlohmann::json;
using testing::KubeSchema;

TEST(TypedOpsTest, ToFieldSetOwnsLeavesItemsAndMapEntries) {
  Json config = Json::parse(R"({
      "apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "web", "labels": {"app": "web"}},
      "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
          "spec": {"containers": [{"name": "nginx", "image": "nginx",
                                   "args": ["-g", "daemon off;"], "resources": {},
                                   "ports": [{"containerPort": 80}]}]}}}})");
  Result<FieldSet> set = ToFieldSet(config, KubeSchema());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->ToFieldsV1(), Json::parse(R"({
      "f:apiVersion": {}, "f:kind": {},
      "f:metadata": {"f:name": {}, "f:labels": {"f:app": {}}},
      "f:spec": {"f:replicas": {}, "f:selector": {},
        "f:template": {"f:metadata": {"f:labels": {"f:app": {}}},
          "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:name": {},
              "f:image": {}, "f:args": {}, "f:resources": {},
              "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {},
                                                                         "f:containerPort": {}}}}}}}}})"))
      << set->ToFieldsV1().dump();
}

// AddedFields is the create path's shortcut for Compare(object(), after).added: it must give
// the same set for every shape of value.
TEST(TypedOpsTest, AddedFieldsEqualsComparingWithAnEmptyObject) {
  const char* cases[] = {
      R"({"apiVersion": "apps/v1", "kind": "Deployment",
          "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {}},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
              "spec": {"containers": [{"name": "nginx", "image": "nginx", "args": ["-g", "x"],
                                       "resources": {}, "env": null,
                                       "ports": [{"containerPort": 80}, {"containerPort": 81,
                                                                         "protocol": "UDP"}]}],
                       "finalizers": ["a", "b"]}}}})",
      R"({"metadata": {"finalizers": ["x", "x", "y"]},
          "spec": {"containers": [{"name": "a"}, {"name": "a", "image": "i"}, {"name": "b"}]}})",
      R"({"spec": {"containers": [], "nodeSelector": {"k": "v"}, "tolerations": [{}]},
          "status": {"phase": "Pending"}, "x": [1, [2], {"y": null}]})",
      R"({})",
  };
  for (const char* text : cases) {
    Json object = Json::parse(text);
    Result<Comparison> c = Compare(Json::object(), object, KubeSchema());
    Result<FieldSet> added = AddedFields(object, KubeSchema());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    EXPECT_EQ(added->ToFieldsV1(), c->added.ToFieldsV1()) << text;
    EXPECT_FALSE(added->Empty() && !object.empty()) << text;
  }
}

TEST(TypedOpsTest, AddedFieldsRejectsKeyedItemsWithoutKeysAsCompareDoes) {
  Json object = Json::parse(R"({"spec":{"containers":[{"name":"a","env":[{"value":"x"}]}]}})");
  Result<FieldSet> added = AddedFields(object, KubeSchema());
  Result<Comparison> c = Compare(Json::object(), object, KubeSchema());
  ASSERT_FALSE(added.ok());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(added.status().message(), c.status().message());
}

TEST(TypedOpsTest, ToFieldSetRejectsKeyedItemsWithoutKeys) {
  Result<FieldSet> set = ToFieldSet(
      Json::parse(R"({"spec":{"containers":[{"name":"a","env":[{"value":"x"}]}]}})"), KubeSchema());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), StatusCode::kBadRequest);
  EXPECT_NE(set.status().message().find("omits key field \"name\""), std::string::npos)
      << set.status().message();
  EXPECT_NE(set.status().message().find(".spec.containers[name=\"a\"].env"), std::string::npos)
      << set.status().message();
}

TEST(TypedOpsTest, CompareReportsAddedModifiedAndRemovedPaths) {
  Json before = Json::parse(R"({"metadata":{"name":"x"},
      "spec":{"replicas":1,"paused":true,"containers":[{"name":"a","image":"1"}]}})");
  Json after = Json::parse(R"({"metadata":{"name":"x","labels":{"k":"v"}},
      "spec":{"replicas":2,"containers":[{"name":"a","image":"2"},{"name":"b"}]}})");
  Result<Comparison> c = Compare(before, after, KubeSchema());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->modified.ToFieldsV1(), Json::parse(R"({"f:spec":{"f:replicas":{},
      "f:containers":{"k:{\"name\":\"a\"}":{"f:image":{}}}}})"));
  EXPECT_EQ(c->added.ToFieldsV1(), Json::parse(R"({"f:metadata":{"f:labels":{".":{},"f:k":{}}},
      "f:spec":{"f:containers":{"k:{\"name\":\"b\"}":{".":{},"f:name":{}}}}})"));
  EXPECT_EQ(c->removed.ToFieldsV1(), Json::parse(R"({"f:spec":{"f:paused":{}}})"));
  Result<Comparison> same = Compare(after, after, KubeSchema());
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->added.Empty() && same->modified.Empty() && same->removed.Empty());
}

TEST(TypedOpsTest, MergeAppliedMergesByListTypeAndDropsNulls) {
  struct Case {
    const char* name;
    const char* live;
    const char* config;
    const char* want;
  };
  const Case cases[] = {
      {"struct fields merge", R"({"spec":{"replicas":1,"paused":true}})",
       R"({"spec":{"replicas":3}})", R"({"spec":{"replicas":3,"paused":true}})"},
      {"null removes", R"({"spec":{"replicas":1,"paused":true}})", R"({"spec":{"paused":null}})",
       R"({"spec":{"replicas":1}})"},
      {"atomic list replaced", R"({"spec":{"containers":[{"name":"a","args":["x","y"]}]}})",
       R"({"spec":{"containers":[{"name":"a","args":["z"]}]}})",
       R"({"spec":{"containers":[{"name":"a","args":["z"]}]}})"},
      {"atomic struct replaced", R"({"spec":{"selector":{"matchLabels":{"a":"1"}}}})",
       R"({"spec":{"selector":{"matchExpressions":[]}}})",
       R"({"spec":{"selector":{"matchExpressions":[]}}})"},
      {"keyed items merge, new ones appended",
       R"({"spec":{"containers":[{"name":"a","image":"1","tty":true},{"name":"b"}]}})",
       R"({"spec":{"containers":[{"name":"a","image":"2"},{"name":"c"}]}})",
       R"({"spec":{"containers":[{"name":"a","image":"2","tty":true},{"name":"b"},{"name":"c"}]}})"},
      {"config order leads for shared items",
       R"({"spec":{"containers":[{"name":"a"},{"name":"x"},{"name":"b"}]}})",
       R"({"spec":{"containers":[{"name":"b"},{"name":"a"},{"name":"c"}]}})",
       R"({"spec":{"containers":[{"name":"x"},{"name":"b"},{"name":"a"},{"name":"c"}]}})"},
      {"sets union", R"({"metadata":{"finalizers":["a","b"]}})",
       R"({"metadata":{"finalizers":["c","a"]}})", R"({"metadata":{"finalizers":["c","a","b"]}})"},
      {"ports match with a defaulted protocol",
       R"({"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"protocol":"TCP","name":"http"}]}]}})",
       R"({"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"hostPort":8080}]}]}})",
       R"({"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"protocol":"TCP","name":"http","hostPort":8080}]}]}})"},
      {"maps merge", R"({"metadata":{"labels":{"a":"1"}}})", R"({"metadata":{"labels":{"b":"2"}}})",
       R"({"metadata":{"labels":{"a":"1","b":"2"}}})"},
      {"created from nothing", R"(null)", R"({"data":{"a":"1","b":null}})",
       R"({"data":{"a":"1"}})"},
  };
  for (const Case& c : cases) {
    Result<Json> got = MergeApplied(Json::parse(c.live), Json::parse(c.config), KubeSchema());
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status().ToString();
    EXPECT_EQ(*got, Json::parse(c.want)) << c.name << "\n got: " << got->dump();
  }
}

TEST(TypedOpsTest, MergeAppliedRefusesDuplicateKeysInTheConfiguration) {
  Result<Json> got = MergeApplied(
      Json::object(), Json::parse(R"({"spec":{"containers":[{"name":"a"},{"name":"a"}]}})"),
      KubeSchema());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kBadRequest);
  EXPECT_NE(got.status().message().find("duplicate entries for key [name=\"a\"]"),
            std::string::npos)
      << got.status().message();
}

TEST(TypedOpsTest, RemoveItemsDropsMembersAndTheirSubtrees) {
  Json obj = Json::parse(R"({"spec":{"replicas":1,"containers":[{"name":"a","image":"1"},
      {"name":"b","image":"2"}]},"metadata":{"finalizers":["x","y"],"labels":{"k":"v"}}})");
  FieldSet remove;
  remove.Insert(FieldPath{"f:spec", "f:containers", KeyElement({{"name", "a"}})});
  remove.Insert(FieldPath{"f:spec", "f:containers", KeyElement({{"name", "b"}}), "f:image"});
  remove.Insert(FieldPath{"f:metadata", "f:finalizers", ValueElement("x")});
  remove.Insert(FieldPath{"f:metadata", "f:labels"});
  EXPECT_EQ(RemoveItems(obj, remove, KubeSchema()),
            Json::parse(R"({"spec":{"replicas":1,"containers":[{"name":"b"}]},
                            "metadata":{"finalizers":["y"]}})"));
}

TEST(TypedOpsTest, EnsureNamedFieldsMakesStructFieldsMembersButNotMapKeys) {
  FieldSet s;
  s.Insert(FieldPath{"f:spec", "f:template", "f:metadata", "f:labels", "f:app"});
  FieldSet named = EnsureNamedFieldsAreMembers(s, KubeSchema());
  EXPECT_TRUE(named.Has(FieldPath{"f:spec"}));
  EXPECT_TRUE(named.Has(FieldPath{"f:spec", "f:template", "f:metadata", "f:labels"}));
  EXPECT_TRUE(named.Has(FieldPath{"f:spec", "f:template", "f:metadata", "f:labels", "f:app"}));
  FieldSet labels_only;
  labels_only.Insert(FieldPath{"f:metadata", "f:labels", "f:app"});
  FieldSet n2 = EnsureNamedFieldsAreMembers(labels_only, KubeSchema());
  EXPECT_EQ(n2.Paths().size(), 3u);
}

}  // namespace
}  // namespace capstan::patch
