// Tests for core/patch/json_patch.h: RFC 6902 appendix A, pointers, Kubernetes' uses (rollout
// undo) and error codes; RFC 7386 appendix A for merge patches.
#include "core/patch/json_patch.h"

#include <gtest/gtest.h>

namespace capstan::patch {
namespace {

using Json = nlohmann::json;

struct PatchCase {
  const char* name;
  const char* doc;
  const char* patch;
  const char* want;  // nullptr: the patch must fail with kInvalid
};

TEST(JsonPatchTest, Rfc6902AppendixAExamples) {
  const PatchCase cases[] = {
      {"A.1 add object member", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])",
       R"({"baz":"qux","foo":"bar"})"},
      {"A.2 add array element", R"({"foo":["bar","baz"]})",
       R"([{"op":"add","path":"/foo/1","value":"qux"}])", R"({"foo":["bar","qux","baz"]})"},
      {"A.3 remove object member", R"({"baz":"qux","foo":"bar"})",
       R"([{"op":"remove","path":"/baz"}])", R"({"foo":"bar"})"},
      {"A.4 remove array element", R"({"foo":["bar","qux","baz"]})",
       R"([{"op":"remove","path":"/foo/1"}])", R"({"foo":["bar","baz"]})"},
      {"A.5 replace", R"({"baz":"qux","foo":"bar"})",
       R"([{"op":"replace","path":"/baz","value":"boo"}])", R"({"baz":"boo","foo":"bar"})"},
      {"A.6 move value", R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
       R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
       R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
      {"A.7 move array element", R"({"foo":["all","grass","cows","eat"]})",
       R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
       R"({"foo":["all","cows","eat","grass"]})"},
      {"A.8 test success", R"({"baz":"qux","foo":["a",2,"c"]})",
       R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
       R"({"baz":"qux","foo":["a",2,"c"]})"},
      {"A.9 test error", R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])",
       nullptr},
      {"A.10 nested member object", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
       R"({"foo":"bar","child":{"grandchild":{}}})"},
      {"A.11 unrecognized elements", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])", R"({"foo":"bar","baz":"qux"})"},
      {"A.12 add to nonexistent target", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz/bat","value":"qux"}])", nullptr},
      {"A.14 escape ordering", R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])",
       R"({"/":9,"~1":10})"},
      {"A.15 strings are not numbers", R"({"/":9,"~1":10})",
       R"([{"op":"test","path":"/~01","value":"10"}])", nullptr},
      {"A.16 add array value", R"({"foo":["bar"]})",
       R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
       R"({"foo":["bar",["abc","def"]]})"},
  };
  for (const PatchCase& c : cases) {
    Result<Json> got = ApplyJsonPatch(Json::parse(c.doc), Json::parse(c.patch));
    if (c.want == nullptr) {
      ASSERT_FALSE(got.ok()) << c.name;
      EXPECT_EQ(got.status().code(), StatusCode::kInvalid) << c.name;
    } else {
      ASSERT_TRUE(got.ok()) << c.name << ": " << got.status().ToString();
      EXPECT_EQ(*got, Json::parse(c.want)) << c.name;
    }
  }
}

TEST(JsonPatchTest, EdgeCasesOfPathsAndOperations) {
  const PatchCase cases[] = {
      {"replace root", R"({"a":1})", R"([{"op":"replace","path":"","value":[1]}])", "[1]"},
      {"add at end index", R"({"a":[1]})", R"([{"op":"add","path":"/a/1","value":2}])",
       R"({"a":[1,2]})"},
      {"add past end", R"({"a":[1]})", R"([{"op":"add","path":"/a/3","value":2}])", nullptr},
      {"negative index from end", R"({"a":[1,2,3]})", R"([{"op":"remove","path":"/a/-1"}])",
       R"({"a":[1,2]})"},
      {"remove missing", R"({"a":1})", R"([{"op":"remove","path":"/b"}])", nullptr},
      {"replace missing", R"({"a":1})", R"([{"op":"replace","path":"/b","value":2}])", nullptr},
      {"copy", R"({"a":{"x":1}})", R"([{"op":"copy","from":"/a","path":"/b"}])",
       R"({"a":{"x":1},"b":{"x":1}})"},
      {"move into own child", R"({"a":{"b":{}}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])",
       nullptr},
      {"move to itself", R"({"a":1})", R"([{"op":"move","from":"/a","path":"/a"}])", R"({"a":1})"},
      {"test compares numbers by value", R"({"a":1})", R"([{"op":"test","path":"/a","value":1.0}])",
       R"({"a":1})"},
      {"unknown op", R"({})", R"([{"op":"frob","path":"/a"}])", nullptr},
      {"missing value", R"({})", R"([{"op":"add","path":"/a"}])", nullptr},
      {"bad pointer", R"({})", R"([{"op":"add","path":"a","value":1}])", nullptr},
      {"bad escape", R"({"a":1})", R"([{"op":"remove","path":"/~2"}])", nullptr},
      {"index into scalar", R"({"a":1})", R"([{"op":"add","path":"/a/b","value":1}])", nullptr},
      {"all or nothing", R"({"a":1})",
       R"([{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":5}])", nullptr},
  };
  for (const PatchCase& c : cases) {
    Result<Json> got = ApplyJsonPatch(Json::parse(c.doc), Json::parse(c.patch));
    if (c.want == nullptr) {
      ASSERT_FALSE(got.ok()) << c.name;
      EXPECT_EQ(got.status().code(), StatusCode::kInvalid) << c.name;
    } else {
      ASSERT_TRUE(got.ok()) << c.name << ": " << got.status().ToString();
      EXPECT_EQ(*got, Json::parse(c.want)) << c.name;
    }
  }
}

TEST(JsonPatchTest, ErrorsNameTheFailingOperationIndex) {
  Result<Json> got = ApplyJsonPatch(Json::parse(R"({"spec":{"replicas":2}})"),
                                    Json::parse(R"([{"op":"test","path":"/spec/replicas","value":2},
                      {"op":"test","path":"/spec/replicas","value":3}])"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(),
            "json patch operation 1: testing value /spec/replicas failed: test failed");
}

TEST(JsonPatchTest, MalformedDocumentsAreBadRequests) {
  for (const char* p : {R"({"op":"add"})", R"([1])", R"("x")"}) {
    Result<Json> got = ApplyJsonPatch(Json::object(), Json::parse(p));
    ASSERT_FALSE(got.ok()) << p;
    EXPECT_EQ(got.status().code(), StatusCode::kBadRequest) << p;
  }
  Json many = Json::array();
  for (size_t i = 0; i <= kMaxJsonPatchOperations; ++i) {
    many.push_back({{"op", "test"}, {"path", ""}, {"value", Json::object()}});
  }
  Result<Json> got = ApplyJsonPatch(Json::object(), many);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kRequestEntityTooLarge);
}

TEST(JsonPatchTest, RolloutUndoPatchReplacesTemplateAndAnnotations) {
  Json deploy = Json::parse(R"({
      "metadata": {"name": "web", "annotations": {"deployment.kubernetes.io/revision": "2"}},
      "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "app", "image": "v2"}]}}}})");
  Json patch = Json::parse(R"([
      {"op": "replace", "path": "/spec/template",
       "value": {"spec": {"containers": [{"name": "app", "image": "v1"}]}}},
      {"op": "replace", "path": "/metadata/annotations",
       "value": {"deployment.kubernetes.io/revision": "1"}}])");
  Result<Json> got = ApplyJsonPatch(deploy, patch);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)["spec"]["template"]["spec"]["containers"][0]["image"], "v1");
  EXPECT_EQ((*got)["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "1");
  EXPECT_EQ((*got)["spec"]["replicas"], 3);
}

TEST(JsonPointerTest, ParsesAndPrintsEscapes) {
  Result<std::vector<std::string>> t = ParseJsonPointer("/a~1b/~0c/");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (std::vector<std::string>{"a/b", "~c", ""}));
  EXPECT_EQ(JsonPointerString(*t), "/a~1b/~0c/");
  EXPECT_TRUE(ParseJsonPointer("")->empty());
  EXPECT_FALSE(ParseJsonPointer("a").ok());
  EXPECT_FALSE(ParseJsonPointer("/~").ok());
}

TEST(MergePatchTest, Rfc7386AppendixAExamples) {
  struct Case {
    const char* target;
    const char* patch;
    const char* want;
  };
  const Case cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", R"(null)", R"(null)"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ApplyMergePatch(Json::parse(c.target), Json::parse(c.patch)), Json::parse(c.want))
        << c.target << " + " << c.patch;
  }
}

TEST(MergePatchTest, KubectlLabelScaleAndAnnotatePatches) {
  Json obj = Json::parse(R"({"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"replicas":1}})");
  Json got = ApplyMergePatch(
      obj, Json::parse(R"({"metadata":{"labels":{"a":null,"c":"3"}},"spec":{"replicas":4}})"));
  EXPECT_EQ(got, Json::parse(R"({"metadata":{"labels":{"b":"2","c":"3"}},"spec":{"replicas":4}})"));
}

}  // namespace
}  // namespace capstan::patch
