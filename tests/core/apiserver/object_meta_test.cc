// Tests for core/apiserver/object_meta.h.
#include "core/apiserver/object_meta.h"

#include <gtest/gtest.h>

#include <set>

namespace capstan::apiserver {
namespace {

TEST(ObjectMetaTest, Rfc3339RoundTripsAndAcceptsFractionsAndOffsets) {
  int64_t ms = 0;
  ASSERT_TRUE(ParseRfc3339("2026-11-22T06:55:01Z", &ms));
  EXPECT_EQ(FormatRfc3339(ms), "2026-11-22T06:55:01Z");
  int64_t with_fraction = 0;
  ASSERT_TRUE(ParseRfc3339("2026-11-22T06:55:01.250Z", &with_fraction));
  EXPECT_EQ(with_fraction - ms, 250);
  int64_t with_offset = 0;
  ASSERT_TRUE(ParseRfc3339("2026-11-22T08:55:01+02:00", &with_offset));
  EXPECT_EQ(with_offset, ms);
  EXPECT_FALSE(ParseRfc3339("yesterday", &ms));
  EXPECT_FALSE(ParseRfc3339("2026-11-22T06:55:01", &ms));
}

TEST(ObjectMetaTest, UidsAreVersionFourAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string uid = NewUid();
    ASSERT_EQ(uid.size(), 36u);
    EXPECT_EQ(uid[14], '4');
    seen.insert(uid);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(ObjectMetaTest, GenerateNameSuffixUsesUpstreamAlphabet) {
  std::string s = RandomSuffix(5);
  ASSERT_EQ(s.size(), 5u);
  for (char c : s)
    EXPECT_NE(std::string_view("bcdfghjklmnpqrstvwxz2456789").find(c), std::string::npos);
}

TEST(ObjectMetaTest, NameRulesMatchKubernetes) {
  EXPECT_TRUE(ValidateDnsSubdomain("web-0.example").empty());
  EXPECT_FALSE(ValidateDnsSubdomain("Web").empty());
  EXPECT_FALSE(ValidateDnsSubdomain("-web").empty());
  EXPECT_FALSE(ValidateDnsSubdomain("").empty());
  EXPECT_TRUE(ValidateDnsLabel("kube-system").empty());
  EXPECT_FALSE(ValidateDnsLabel("a.b").empty());
  EXPECT_FALSE(ValidateDnsLabel(std::string(64, 'a')).empty());
  EXPECT_TRUE(ValidateLabelKey("app.kubernetes.io/name").empty());
  EXPECT_FALSE(ValidateLabelKey("/name").empty());
  EXPECT_FALSE(ValidateLabelKey("bad key").empty());
  EXPECT_TRUE(ValidateLabelValue("").empty());
  EXPECT_FALSE(ValidateLabelValue("-x").empty());
}

TEST(ObjectMetaTest, ValidateObjectMetaReportsFieldPaths) {
  std::vector<StatusCause> causes;
  ValidateObjectMeta(nlohmann::json{{"labels", {{"ok", "-bad"}}}}, true, NameRule::kDnsSubdomain,
                     &causes);
  std::set<std::string> fields;
  for (const StatusCause& c : causes) fields.insert(c.field);
  EXPECT_TRUE(fields.count("metadata.name"));
  EXPECT_TRUE(fields.count("metadata.namespace"));
  EXPECT_TRUE(fields.count("metadata.labels"));
}

TEST(ObjectMetaTest, SpecChangedIgnoresMetadataAndStatus) {
  nlohmann::json a = {{"metadata", {{"name", "x"}}}, {"spec", {{"replicas", 1}}}};
  nlohmann::json b = a;
  b["metadata"]["labels"] = {{"k", "v"}};
  b["status"] = {{"ready", 1}};
  EXPECT_FALSE(SpecChanged(a, b));
  b["spec"]["replicas"] = 2;
  EXPECT_TRUE(SpecChanged(a, b));
}

TEST(ObjectMetaTest, SameContentIgnoresResourceVersionAndManagedFields) {
  nlohmann::json a = {{"metadata", {{"name", "x"}, {"resourceVersion", "1"}}}};
  nlohmann::json b = {
      {"metadata", {{"name", "x"}, {"resourceVersion", "9"}, {"managedFields", {}}}}};
  EXPECT_TRUE(SameContent(a, b));
  b["metadata"]["labels"] = {{"k", "v"}};
  EXPECT_FALSE(SameContent(a, b));
}

}  // namespace
}  // namespace capstan::apiserver
