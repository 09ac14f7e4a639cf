// Tests for core/patch/strategic_merge_patch.h: merge keys, directives, ordering rules and the
// exact patches kubectl sends (apply, set image, taint, cordon, rollout restart, debug).
#include "core/patch/strategic_merge_patch.h"

#include <gtest/gtest.h>

#include "tests/core/patch/test_schema.h"

namespace capstan::patch {
namespace {

using Json = nlohmann::json;

struct Case {
  const char* name;
  const char* original;
  const char* patch;
  const char* want;  // expected result; nullptr when the patch must fail
  StatusCode code = StatusCode::kBadRequest;
};

void RunCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    Result<Json> got = ApplyStrategicMergePatch(Json::parse(c.original), Json::parse(c.patch),
                                                testing::KubeSchema());
    if (c.want == nullptr) {
      ASSERT_FALSE(got.ok()) << c.name << " gave " << got->dump();
      EXPECT_EQ(got.status().code(), c.code) << c.name << ": " << got.status().ToString();
      continue;
    }
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status().ToString();
    EXPECT_EQ(*got, Json::parse(c.want)) << c.name << "\n got: " << got->dump();
  }
}

TEST(StrategicMergePatchTest, MapsMergeAndNullDeletes) {
  RunCases({
      {"scalar replaced", R"({"a":1,"b":2})", R"({"a":3})", R"({"a":3,"b":2})"},
      {"nested maps merge", R"({"m":{"x":1,"y":{"z":1}}})", R"({"m":{"y":{"w":2}}})",
       R"({"m":{"x":1,"y":{"z":1,"w":2}}})"},
      {"null deletes", R"({"a":1,"b":2})", R"({"a":null})", R"({"b":2})"},
      {"null for a missing key is ignored", R"({"a":1})", R"({"c":null})", R"({"a":1})"},
      {"nulls inside new values are dropped", R"({})", R"({"x":{"a":1,"b":null}})",
       R"({"x":{"a":1}})"},
      {"type change replaces", R"({"a":"str"})", R"({"a":{"b":1}})", R"({"a":{"b":1}})"},
      {"labels map merges", R"({"metadata":{"labels":{"a":"1","b":"2"}}})",
       R"({"metadata":{"labels":{"b":null,"c":"3"}}})",
       R"({"metadata":{"labels":{"a":"1","c":"3"}}})"},
      {"cordon", R"({"spec":{"podCIDR":"10.0.0.0/24"}})", R"({"spec":{"unschedulable":true}})",
       R"({"spec":{"podCIDR":"10.0.0.0/24","unschedulable":true}})"},
      {"uncordon", R"({"spec":{"unschedulable":true}})", R"({"spec":{"unschedulable":null}})",
       R"({"spec":{}})"},
      {"rollout restart adds a template annotation", R"({"spec":{"template":{"metadata":{}}}})",
       R"({"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"t"}}}}})",
       R"({"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"t"}}}}})"},
  });
}

TEST(StrategicMergePatchTest, ListsMergeByPatchMergeKey) {
  RunCases({
      {"containers by name: changed item keeps its place",
       R"({"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"1"}]}})",
       R"({"spec":{"containers":[{"name":"b","image":"2"}]}})",
       R"({"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"2"}]}})"},
      {"new items go before server-only items without $setElementOrder",
       R"({"spec":{"containers":[{"name":"a"}]}})", R"({"spec":{"containers":[{"name":"b"}]}})",
       R"({"spec":{"containers":[{"name":"b"},{"name":"a"}]}})"},
      {"env by name inside a container",
       R"({"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}]}]}})",
       R"({"spec":{"containers":[{"name":"a","env":[{"name":"Y","value":"3"}]}]}})",
       R"({"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Y","value":"3"}]}]}})"},
      {"ports by containerPort",
       R"({"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"name":"http"}]}]}})",
       R"({"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"protocol":"TCP"}]}]}})",
       R"({"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"name":"http","protocol":"TCP"}]}]}})"},
      {"service ports by port", R"({"spec":{"ports":[{"port":80,"targetPort":8080}]}})",
       R"({"spec":{"ports":[{"port":80,"targetPort":9090},{"port":443}]}})",
       R"({"spec":{"ports":[{"port":80,"targetPort":9090},{"port":443}]}})"},
      {"status conditions by type",
       R"({"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"Scheduled","status":"True"}]}})",
       R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})",
       R"({"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Scheduled","status":"True"}]}})"},
      {"debug adds an ephemeral container", R"({"spec":{"containers":[{"name":"a"}]}})",
       R"({"spec":{"ephemeralContainers":[{"name":"debugger-x","image":"busybox","stdin":true,"resources":{}}]}})",
       R"({"spec":{"containers":[{"name":"a"}],"ephemeralContainers":[{"name":"debugger-x","image":"busybox","stdin":true,"resources":{}}]}})"},
      {"missing merge key", R"({"spec":{"containers":[{"name":"a"}]}})",
       R"({"spec":{"containers":[{"image":"x"}]}})", nullptr},
  });
}

TEST(StrategicMergePatchTest, ListsWithoutMergeStrategyAreReplaced) {
  RunCases({
      {"args are atomic", R"({"spec":{"containers":[{"name":"a","args":["x","y"]}]}})",
       R"({"spec":{"containers":[{"name":"a","args":["z"]}]}})",
       R"({"spec":{"containers":[{"name":"a","args":["z"]}]}})"},
      {"unknown lists are replaced", R"({"custom":[{"name":"a"},{"name":"b"}]})",
       R"({"custom":[{"name":"c"}]})", R"({"custom":[{"name":"c"}]})"},
      {"taint add replaces the whole list",
       R"({"spec":{"taints":[{"key":"a","effect":"NoSchedule"}]}})",
       R"({"spec":{"taints":[{"effect":"NoSchedule","key":"dedicated","value":"x"}]}})",
       R"({"spec":{"taints":[{"effect":"NoSchedule","key":"dedicated","value":"x"}]}})"},
      {"removing the last taint sends null", R"({"spec":{"taints":[{"key":"a"}],"x":1}})",
       R"({"spec":{"taints":null}})", R"({"spec":{"x":1}})"},
  });
}

TEST(StrategicMergePatchTest, PrimitiveListsWithMergeStrategyMergeAsSets) {
  RunCases({
      {"finalizer added in front", R"({"metadata":{"finalizers":["a","b"]}})",
       R"({"metadata":{"finalizers":["c"]}})", R"({"metadata":{"finalizers":["c","a","b"]}})"},
      {"duplicates collapse", R"({"metadata":{"finalizers":["a","b"]}})",
       R"({"metadata":{"finalizers":["b","c"]}})", R"({"metadata":{"finalizers":["a","b","c"]}})"},
      {"deleteFromPrimitiveList", R"({"metadata":{"finalizers":["a","b","c","b"]}})",
       R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}})",
       R"({"metadata":{"finalizers":["a","c"]}})"},
      {"deleteFromPrimitiveList on a missing list adds nothing", R"({"metadata":{}})",
       R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}})", R"({"metadata":{}})"},
      {"delete and order together", R"({"metadata":{"finalizers":["a","b","c"]}})",
       R"({"metadata":{"$setElementOrder/finalizers":["c","a"],"$deleteFromPrimitiveList/finalizers":["b"]}})",
       R"({"metadata":{"finalizers":["c","a"]}})"},
      {"setElementOrder orders added items", R"({"metadata":{"finalizers":["a","b"]}})",
       R"({"metadata":{"$setElementOrder/finalizers":["b","a","c"],"finalizers":["c"]}})",
       R"({"metadata":{"finalizers":["b","a","c"]}})"},
      {"lists of lists", R"({"metadata":{"finalizers":[["a"]]}})",
       R"({"metadata":{"finalizers":[["b"]]}})", nullptr, StatusCode::kInvalid},
  });
}

TEST(StrategicMergePatchTest, PatchDirectivesInMapsAndListItems) {
  RunCases({
      {"$patch replace in a map", R"({"metadata":{"labels":{"x":"1","y":"2"}}})",
       R"({"metadata":{"labels":{"$patch":"replace","z":"3"}}})",
       R"({"metadata":{"labels":{"z":"3"}}})"},
      {"$patch delete in a map empties it", R"({"metadata":{"labels":{"x":"1"}},"a":1})",
       R"({"metadata":{"labels":{"$patch":"delete"}}})", R"({"metadata":{"labels":{}},"a":1})"},
      {"$patch delete in a list item removes it",
       R"({"spec":{"containers":[{"name":"a","env":[{"name":"A"},{"name":"B"},{"name":"C"}]}]}})",
       R"({"spec":{"containers":[{"name":"a","env":[{"$patch":"delete","name":"B"}]}]}})",
       R"({"spec":{"containers":[{"name":"a","env":[{"name":"A"},{"name":"C"}]}]}})"},
      {"$patch replace in a list replaces it",
       R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})",
       R"({"spec":{"containers":[{"$patch":"replace"},{"name":"c","image":"z"}]}})",
       R"({"spec":{"containers":[{"name":"c","image":"z"}]}})"},
      {"$patch merge in a list is refused", R"({"spec":{"containers":[{"name":"a"}]}})",
       R"({"spec":{"containers":[{"$patch":"merge"}]}})", nullptr},
      {"unknown $patch in a map", R"({"a":{}})", R"({"a":{"$patch":"frob"}})", nullptr},
      {"$patch delete without merge key", R"({"spec":{"containers":[{"name":"a"}]}})",
       R"({"spec":{"containers":[{"$patch":"delete"}]}})", nullptr},
      {"$patch replace at the top", R"({"a":1,"b":2})", R"({"$patch":"replace","c":3})",
       R"({"c":3})"},
  });
}

TEST(StrategicMergePatchTest, RetainKeysClearsOtherFields) {
  RunCases({
      {"deployment strategy switch",
       R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})",
       R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})",
       R"({"spec":{"strategy":{"type":"Recreate"}}})"},
      {"volume source switch inside a merged item",
       R"({"spec":{"volumes":[{"name":"v","emptyDir":{}},{"name":"w","emptyDir":{}}]}})",
       R"({"spec":{"volumes":[{"$retainKeys":["configMap","name"],"name":"v","configMap":{"name":"cm"}}]}})",
       R"({"spec":{"volumes":[{"name":"v","configMap":{"name":"cm"}},{"name":"w","emptyDir":{}}]}})"},
      {"patch keys must be retained", R"({"spec":{"strategy":{"type":"RollingUpdate"}}})",
       R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})", nullptr},
      {"retainKeys must be a list", R"({"spec":{"strategy":{}}})",
       R"({"spec":{"strategy":{"$retainKeys":"type"}}})", nullptr},
  });
}

TEST(StrategicMergePatchTest, SetElementOrderFixesListOrder) {
  RunCases({
      {"set image keeps the order",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"},{"name":"side","image":"s"}]}}}})",
       R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"},{"name":"side"}],"containers":[{"image":"nginx:1.26","name":"nginx"}]}}}})",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"},{"name":"side","image":"s"}]}}}})"},
      {"a new item lands where the directive puts it",
       R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"c"},{"name":"b"}],"containers":[{"name":"c"}]}})",
       R"({"spec":{"containers":[{"name":"a"},{"name":"c"},{"name":"b"}]}})"},
      {"order directive alone reorders", R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}})",
       R"({"spec":{"containers":[{"name":"b"},{"name":"a"}]}})"},
      {"patch order must match the directive",
       R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],"containers":[{"name":"b"},{"name":"a"}]}})",
       nullptr},
  });
}

TEST(StrategicMergePatchTest, InterleavesServerOnlyItemsAsUpstream) {
  // Live [1(other a), 2(value 2, other b)]; the user's list became [4, 1, 2, 3].
  RunCases({
      {"two new items around existing ones",
       R"({"spec":{"containers":[{"name":"1","other":"a"},{"name":"2","value":2,"other":"b"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"4"},{"name":"1"},{"name":"2"},{"name":"3"}],"containers":[{"name":"4","value":4},{"name":"3","value":3}]}})",
       R"({"spec":{"containers":[{"name":"4","value":4},{"name":"1","other":"a"},{"name":"2","value":2,"other":"b"},{"name":"3","value":3}]}})"},
      {"server-only item stays between patched ones",
       R"({"spec":{"containers":[{"name":"a"},{"name":"x"},{"name":"b"}]}})",
       R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],"containers":[{"name":"b","image":"2"}]}})",
       R"({"spec":{"containers":[{"name":"a"},{"name":"x"},{"name":"b","image":"2"}]}})"},
  });
}

TEST(StrategicMergePatchTest, KubectlClientSideApplyPatch) {
  Json live = Json::parse(R"({
      "metadata": {"name": "web", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "old\n"}},
      "spec": {"replicas": 1, "template": {"spec": {"containers": [
        {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "x"}],
         "terminationMessagePath": "/dev/termination-log"}]}}}})");
  Json patch = Json::parse(R"({
      "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "new\n"}},
      "spec": {"replicas": 3, "template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}],
        "containers": [{"$setElementOrder/env": [{"name": "A"}],
                        "env": [{"name": "A", "value": "2"}, {"$patch": "delete", "name": "B"}],
                        "name": "app"}]}}}})");
  Result<Json> got = ApplyStrategicMergePatch(live, patch, testing::KubeSchema());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Json::parse(R"({
      "metadata": {"name": "web", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "new\n"}},
      "spec": {"replicas": 3, "template": {"spec": {"containers": [
        {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "2"}],
         "terminationMessagePath": "/dev/termination-log"}]}}}})"))
      << got->dump();
}

TEST(StrategicMergePatchTest, DirectiveKeysAreNeverStored) {
  Result<Json> got = ApplyStrategicMergePatch(
      Json::parse(R"({"spec":{}})"),
      Json::parse(R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"}],
          "containers":[{"name":"a","$setElementOrder/env":[{"name":"E"}],"env":[{"name":"E"}],
                          "x":{"$retainKeys":["y"],"y":1},"gone":{"$patch":"delete"}}]}}}})"),
      testing::KubeSchema());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"a","env":[{"name":"E"}],"x":{"y":1}}]}}}})"))
      << got->dump();
}

TEST(StrategicMergePatchTest, RejectsNonObjects) {
  EXPECT_EQ(ApplyStrategicMergePatch(Json::array(), Json::object(), testing::KubeSchema())
                .status()
                .code(),
            StatusCode::kBadRequest);
  EXPECT_EQ(ApplyStrategicMergePatch(Json::object(), Json::array(), testing::KubeSchema())
                .status()
                .code(),
            StatusCode::kBadRequest);
}

TEST(StrategicMergePatchTest, WithoutSchemaMapsMergeAndListsAreReplaced) {
  EmptyPatchSchema none;
  Result<Json> got =
      ApplyStrategicMergePatch(Json::parse(R"({"spec":{"a":{"b":1},"l":[1,2]}})"),
                               Json::parse(R"({"spec":{"a":{"c":2},"l":[3]}})"), none);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, Json::parse(R"({"spec":{"a":{"b":1,"c":2},"l":[3]}})"));
}

}  // namespace
}  // namespace capstan::patch
