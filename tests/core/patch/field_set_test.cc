// Tests for core/patch/field_set.h: the fieldsV1 codec, canonical elements, set algebra and
// upstream's path text.
#include "core/patch/field_set.h"

#include <gtest/gtest.h>

namespace capstan::patch {
namespace {

using Json = nlohmann::json;

FieldSet Parse(const char* fields_v1) {
  Result<FieldSet> s = FieldSet::FromFieldsV1(Json::parse(fields_v1));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : FieldSet();
}

TEST(FieldSetTest, FieldsV1RoundTripsWithMemberMarkers) {
  const char* text = R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},
      "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{}}},
                "f:replicas":{}}})";
  FieldSet s = Parse(text);
  EXPECT_EQ(s.ToFieldsV1(), Json::parse(text));
  EXPECT_TRUE(s.Has(FieldPath{"f:metadata", "f:labels"}));
  EXPECT_TRUE(s.Has(FieldPath{"f:metadata", "f:labels", "f:app"}));
  EXPECT_FALSE(s.Has(FieldPath{"f:metadata"}));
  EXPECT_TRUE(s.Has(FieldPath{"f:spec", "f:containers", "k:{\"name\":\"nginx\"}"}));
  EXPECT_FALSE(s.Has(FieldPath{"f:spec", "f:containers"}));
  EXPECT_EQ(s.Paths().size(), 6u);
}

TEST(FieldSetTest, CanonicalisesKeyAndValueElements) {
  FieldSet s = Parse(R"({"f:ports":{"k:{\"protocol\":\"TCP\",\"containerPort\":80}":{}},
                         "f:finalizers":{"v:\"a\"":{}},"f:args":{"i:0":{}}})");
  EXPECT_TRUE(
      s.Has(FieldPath{"f:ports", KeyElement({{"containerPort", 80}, {"protocol", "TCP"}})}));
  EXPECT_TRUE(s.Has(FieldPath{"f:finalizers", ValueElement("a")}));
  EXPECT_TRUE(s.Has(FieldPath{"f:args", IndexElement(0)}));
  EXPECT_EQ(KeyElement({{"protocol", "TCP"}, {"containerPort", 80}}),
            "k:{\"containerPort\":80,\"protocol\":\"TCP\"}");
}

TEST(FieldSetTest, RejectsMalformedFieldsV1) {
  for (const char* bad : {R"({"x:foo":{}})", R"({"k:notjson":{}})", R"({"k:[1]":{}})",
                          R"({"i:abc":{}})", R"({"f:a":1})", R"([])"}) {
    Result<FieldSet> s = FieldSet::FromFieldsV1(Json::parse(bad));
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), StatusCode::kBadRequest) << bad;
  }
}

TEST(FieldSetTest, SetAlgebra) {
  FieldSet a = FieldSet::OfFields({"spec.replicas", "spec.paused", "metadata.labels"});
  FieldSet b = FieldSet::OfFields({"spec.replicas", "status"});
  EXPECT_EQ(a.Union(b),
            FieldSet::OfFields({"spec.replicas", "spec.paused", "metadata.labels", "status"}));
  EXPECT_EQ(a.Intersection(b), FieldSet::OfFields({"spec.replicas"}));
  EXPECT_EQ(a.Difference(b), FieldSet::OfFields({"spec.paused", "metadata.labels"}));
  EXPECT_TRUE(a.Difference(a).Empty());

  FieldSet parent = FieldSet::OfFields({"spec"});
  FieldSet deep = FieldSet::OfFields({"spec", "spec.replicas", "status.phase"});
  EXPECT_EQ(deep.Difference(parent), FieldSet::OfFields({"spec.replicas", "status.phase"}));
  EXPECT_EQ(deep.RecursiveDifference(parent), FieldSet::OfFields({"status.phase"}));
}

TEST(FieldSetTest, PathStringsMatchUpstream) {
  EXPECT_EQ(PathString(FieldPath{"f:spec", "f:replicas"}), ".spec.replicas");
  EXPECT_EQ(
      PathString(FieldPath{"f:spec", "f:containers", KeyElement({{"name", "nginx"}}), "f:image"}),
      ".spec.containers[name=\"nginx\"].image");
  EXPECT_EQ(
      PathString(FieldPath{"f:ports", KeyElement({{"containerPort", 80}, {"protocol", "TCP"}})}),
      ".ports[containerPort=80,protocol=\"TCP\"]");
  EXPECT_EQ(PathString(FieldPath{"f:metadata", "f:finalizers", ValueElement("x")}),
            ".metadata.finalizers[=\"x\"]");
  EXPECT_EQ(PathString(FieldPath{"f:args", IndexElement(2)}), ".args[2]");
}

}  // namespace
}  // namespace capstan::patch
