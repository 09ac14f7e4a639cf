// Tests of plugins/controllers/kit/json_subset.h: kept, dropped and skipped members, escapes,
// arrays of objects and malformed input.
#include "plugins/controllers/kit/json_subset.h"

#include <gtest/gtest.h>

#include <string>

namespace capstan::controllers {
namespace {

constexpr char kPod[] = R"({"apiVersion":"v1","kind":"Pod",
  "metadata":{"name":"p","namespace":"ns","labels":{"app":"a"},
    "managedFields":[{"manager":"m","fieldsV1":{"f:spec":{"f:x":{}}}}],
    "ownerReferences":[{"kind":"ReplicaSet","name":"rs","uid":"u","controller":true}]},
  "spec":{"containers":[{"name":"c","args":["}]\"{["]}],"nodeName":"n1"},
  "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})";

TEST(JsonSubsetTest, ObjectMetaKeepsMetadataWithoutManagedFieldsAndSkipsTheRest) {
  std::optional<Json> pod = ParseObjectMeta(kPod);
  ASSERT_TRUE(pod.has_value());
  Json want = Json::parse(R"({"apiVersion":"v1","kind":"Pod",
    "metadata":{"name":"p","namespace":"ns","labels":{"app":"a"},
      "ownerReferences":[{"kind":"ReplicaSet","name":"rs","uid":"u","controller":true}]}})");
  EXPECT_EQ(*pod, want);
}

TEST(JsonSubsetTest, NestedPathsKeepOnlyTheNamedMembersOnTheWay) {
  JsonSubset subset({"spec.nodeName", "status"}, {"status.conditions"});
  std::optional<Json> pod = subset.ParseObject(kPod);
  ASSERT_TRUE(pod.has_value());
  EXPECT_EQ(*pod, Json::parse(R"({"spec":{"nodeName":"n1"},"status":{"phase":"Running"}})"));
}

TEST(JsonSubsetTest, AbsentPathsYieldNoMembers) {
  JsonSubset subset({"spec.nodeName", "status.phase"});
  std::optional<Json> out = subset.ParseObject(R"({"spec":{"x":1},"other":[1,2]})");
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, Json::parse(R"({"spec":{}})"));
}

TEST(JsonSubsetTest, EscapedKeysAndStringsAreHandled) {
  JsonSubset subset({"a\"b", "m"});
  std::optional<Json> out =
      subset.ParseObject(R"({"skip":"x\\\"}{","a\"b":"v\\","m":{"k":"\u00e9"}, "z" : true })");
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, (Json{{"a\"b", "v\\"}, {"m", {{"k", "\xc3\xa9"}}}}));
}

TEST(JsonSubsetTest, ArraysReduceEachObjectAndKeepOtherElements) {
  std::string list = std::string("[") + kPod + ", 7 ,{\"kind\":\"Pod\",\"spec\":{}}]";
  std::optional<Json> pods = ObjectMetaSubset().ParseArray(list);
  ASSERT_TRUE(pods.has_value());
  ASSERT_EQ(pods->size(), 3u);
  EXPECT_EQ((*pods)[0]["metadata"]["name"], "p");
  EXPECT_FALSE((*pods)[0].contains("spec"));
  EXPECT_EQ((*pods)[1], 7);
  EXPECT_EQ((*pods)[2], Json::parse(R"({"kind":"Pod"})"));
  EXPECT_EQ(*ObjectMetaSubset().ParseArray(" [ ] "), Json::array());
}

TEST(JsonSubsetTest, FastParseBuildsWhatNlohmannBuilds) {
  const char* docs[] = {
      kPod,
      R"([0, -7, 9223372036854775807, -9223372036854775808, 18446744073709551615, 1.5, -2e3,
          true, false, null, "s", "e\u00e9\n", {}, [], {"a":[{"b":[]}]}])",
      " 42 ",
      R"("x")",
  };
  for (const char* text : docs) {
    std::optional<Json> fast = ParseJsonFast(text);
    ASSERT_TRUE(fast.has_value()) << text;
    Json want = Json::parse(text);
    EXPECT_EQ(*fast, want) << text;
    EXPECT_EQ(fast->dump(), want.dump()) << text;  // same types (integer vs unsigned vs float)
  }
  for (const char* bad : {"01", "-", "tru", "[1,]", "{\"a\":1,}", "[1 2]", "{} {}", "\"a"}) {
    EXPECT_FALSE(ParseJsonFast(bad).has_value()) << bad;
  }
}

TEST(JsonSubsetTest, MalformedInputIsRefused) {
  const char* cases[] = {
      "",
      "[]",                                 // not an object
      R"({"metadata":{"name":})",           // bad kept value
      R"({"metadata":{"name":"p"})",        // truncated
      R"({"spec":{"a":[1,2}, "kind":"P")",  // unbalanced skipped value
      R"({"spec":"unterminated})",          // unterminated string
      R"({"kind":"Pod"} trailing)",         // text after the object
      R"({"kind" "Pod"})",                  // missing colon
  };
  for (const char* text : cases) {
    EXPECT_FALSE(ParseObjectMeta(text).has_value()) << text;
  }
  EXPECT_FALSE(ObjectMetaSubset().ParseArray(R"([{"kind":"P"},)").has_value());
}

}  // namespace
}  // namespace capstan::controllers
