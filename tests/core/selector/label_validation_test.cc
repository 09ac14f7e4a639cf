// Tests for core/selector/label_validation.h: the accepted shapes and upstream's exact wording.
#include "core/selector/label_validation.h"

#include <gtest/gtest.h>

#include <string>

namespace capstan::selector {
namespace {

TEST(LabelValidationTest, QualifiedNamesAcceptUpstreamShapes) {
  for (const char* ok : {"a", "app", "A-b_c.d", "123-abc", "example.com/MyName",
                         "kubernetes.io/cluster-service", "a.b-c/x"}) {
    EXPECT_TRUE(IsQualifiedName(ok).empty()) << ok;
  }
}

TEST(LabelValidationTest, QualifiedNamesRejectBadShapesWithUpstreamMessages) {
  const std::string regex_msg =
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
      "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
      "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  EXPECT_EQ(IsQualifiedName("a b"), std::vector<std::string>{regex_msg});
  EXPECT_EQ(IsQualifiedName("-a"), std::vector<std::string>{regex_msg});
  EXPECT_EQ(IsQualifiedName(""),
            (std::vector<std::string>{"name part must be non-empty", regex_msg}));
  EXPECT_EQ(IsQualifiedName(std::string(64, 'a')),
            std::vector<std::string>{"name part must be no more than 63 characters"});
  EXPECT_EQ(IsQualifiedName("/a"), std::vector<std::string>{"prefix part must be non-empty"});
  std::vector<std::string> upper = IsQualifiedName("Example.com/a");
  ASSERT_EQ(upper.size(), 1u);
  EXPECT_EQ(upper[0].rfind("prefix part a lowercase RFC 1123 subdomain must consist of", 0), 0u)
      << upper[0];
  std::vector<std::string> slashes = IsQualifiedName("a/b/c");
  ASSERT_EQ(slashes.size(), 1u);
  EXPECT_EQ(slashes[0].rfind("a qualified name must consist of", 0), 0u) << slashes[0];
  EXPECT_NE(slashes[0].find("with an optional DNS subdomain prefix and '/' (e.g. "
                            "'example.com/MyName')"),
            std::string::npos);
}

TEST(LabelValidationTest, LabelValuesMayBeEmptyButNotMalformed) {
  EXPECT_TRUE(IsValidLabelValue("").empty());
  EXPECT_TRUE(IsValidLabelValue("v1.2_x-y").empty());
  EXPECT_EQ(IsValidLabelValue("a b"),
            std::vector<std::string>{
                "a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"});
  EXPECT_EQ(IsValidLabelValue(std::string(64, 'x')),
            std::vector<std::string>{"must be no more than 63 characters"});
}

TEST(LabelValidationTest, Dns1123SubdomainsAreLowercaseDottedLabels) {
  EXPECT_TRUE(IsDns1123Subdomain("a.b-c.d").empty());
  EXPECT_FALSE(IsDns1123Subdomain("a..b").empty());
  EXPECT_FALSE(IsDns1123Subdomain("a-").empty());
  EXPECT_FALSE(IsDns1123Subdomain("A").empty());
  EXPECT_EQ(IsDns1123Subdomain(std::string(254, 'a')).size(), 1u);
}

TEST(LabelValidationTest, FieldInvalidQuotesLikeGoAndNamesNilPaths) {
  EXPECT_EQ(FieldInvalid("key", "a\"b", "bad"), "key: Invalid value: \"a\\\"b\": bad");
  EXPECT_EQ(FieldInvalid("", "x\n", "bad"), "<nil>: Invalid value: \"x\\n\": bad");
}

}  // namespace
}  // namespace capstan::selector
