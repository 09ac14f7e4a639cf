// Tests for core/apiserver/prepared_write.h: one serialization per write, revision splicing.
#include "core/apiserver/prepared_write.h"

#include <gtest/gtest.h>

namespace capstan::apiserver {
namespace {

using nlohmann::json;

// The object as served at `rev`, built the slow way.
json Expected(json obj, int64_t rev) {
  obj["metadata"]["resourceVersion"] = std::to_string(rev);
  return obj;
}

TEST(PreparedWriteTest, StoredBytesOmitTheRevisionAndServedBytesCarryIt) {
  struct Case {
    const char* name;
    json metadata;
  } cases[] = {
      {"members before and after", {{"name", "a"}, {"uid", "u"}, {"labels", {{"app", "x"}}}}},
      {"first member", {{"uid", "u"}}},
      {"only member", json::object()},
      {"last member", {{"name", "a"}}},
      {"stale revision replaced", {{"name", "a"}, {"resourceVersion", "99"}}},
  };
  for (const Case& c : cases) {
    json obj = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", c.metadata}};
    json original = obj;
    auto p = PrepareWrite("/k", obj, nullptr);
    ASSERT_NE(p, nullptr) << c.name;
    json stored = json::parse(p->stored);
    EXPECT_FALSE(stored["metadata"].contains("resourceVersion")) << c.name;
    original["metadata"].erase("resourceVersion");
    EXPECT_EQ(stored, original) << c.name;
    CachedObject cached = CachedFromPrepared(*p, 1234);
    EXPECT_EQ(json::parse(cached.json), Expected(original, 1234)) << c.name;
    EXPECT_EQ(cached.json.substr(cached.rv_pos, cached.rv_len), "1234") << c.name;
    EXPECT_FALSE(obj["metadata"].contains("resourceVersion")) << c.name;
  }
}

TEST(PreparedWriteTest, IndexesNameLabelsAndExtractedFields) {
  json obj = {
      {"metadata", {{"name", "p"}, {"namespace", "ns"}, {"labels", {{"b", "2"}, {"a", "1"}}}}},
      {"spec", {{"nodeName", "n1"}}}};
  auto p = PrepareWrite("/pods/ns/p", obj, [](const json& o, StringPairs* out) {
    out->emplace_back("spec.nodeName", o["spec"]["nodeName"].get<std::string>());
  });
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->index.key, "/pods/ns/p");
  EXPECT_EQ(p->index.name, "p");
  EXPECT_EQ(p->index.namespace_name, "ns");
  EXPECT_EQ(p->index.labels, (StringPairs{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(*CachedFromPrepared(*p, 5).Field("spec.nodeName"), "n1");
}

TEST(PreparedWriteTest, PlaceholderLookalikeInUserDataFallsBackToTheSlowPath) {
  // A nested member identical to the placeholder makes it ambiguous: no prepared write.
  json obj = {{"metadata", {{"name", "a"}}},
              {"spec",
               {{"resourceVersion",
                 "\x01"
                 "capstan-rv"
                 "\x01"}}}};
  EXPECT_EQ(PrepareWrite("/k", obj, nullptr), nullptr);
  size_t pos = 0;
  size_t len = 0;
  std::string served = SerializeWithRevision(obj, 7, &pos, &len);
  EXPECT_EQ(pos, std::string::npos);
  EXPECT_EQ(json::parse(served)["metadata"]["resourceVersion"], "7");
  EXPECT_EQ(json::parse(served)["spec"]["resourceVersion"],
            "\x01"
            "capstan-rv"
            "\x01");
}

TEST(PreparedWriteTest, WithRevisionSplicesNewDigits) {
  json obj = {{"metadata", {{"name", "a"}}}, {"data", {{"k", "v"}}}};
  size_t pos = 0;
  size_t len = 0;
  CachedObject o;
  o.json = SerializeWithRevision(obj, 9, &pos, &len);
  o.rv_pos = pos;
  o.rv_len = len;
  CachedObject later = WithRevision(o, 123456);
  EXPECT_EQ(json::parse(later.json)["metadata"]["resourceVersion"], "123456");
  EXPECT_EQ(json::parse(later.json)["data"]["k"], "v");
  EXPECT_EQ(later.revision, 123456);
  EXPECT_EQ(WithRevision(later, 1).json.substr(later.rv_pos, 1), "1");
}

}  // namespace
}  // namespace capstan::apiserver
