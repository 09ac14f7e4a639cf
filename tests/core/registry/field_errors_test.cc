// Tests for core/registry/field_errors.h and field_validation.h: upstream's error wording and
// Go-style value rendering, and the shared validation helpers.
#include "core/registry/field_errors.h"

#include <gtest/gtest.h>

#include "core/registry/field_validation.h"

namespace capstan::registry {
namespace {

TEST(FieldErrorsTest, EachKindPrintsAsUpstream) {
  FieldErrors e;
  e.Required("spec.containers");
  e.Required("spec.template.metadata.labels", "must be present");
  e.Invalid("spec.replicas", -1, "must be greater than or equal to 0");
  e.Invalid("metadata.name", "A", "bad");
  e.NotSupported("spec.restartPolicy", "Sometimes", {"Always", "OnFailure", "Never"});
  e.Duplicate("spec.containers[1].name", "app");
  e.NotFound("spec.containers[0].volumeMounts[0].name", "data");
  e.Forbidden("spec", "nope");
  e.TooLong("data", 1048576);
  struct Want {
    const char* reason;
    const char* field;
    const char* message;
  } want[] = {
      {"FieldValueRequired", "spec.containers", "Required value"},
      {"FieldValueRequired", "spec.template.metadata.labels", "Required value: must be present"},
      {"FieldValueInvalid", "spec.replicas",
       "Invalid value: -1: must be greater than or equal to 0"},
      {"FieldValueInvalid", "metadata.name", "Invalid value: \"A\": bad"},
      {"FieldValueNotSupported", "spec.restartPolicy",
       "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""},
      {"FieldValueDuplicate", "spec.containers[1].name", "Duplicate value: \"app\""},
      {"FieldValueNotFound", "spec.containers[0].volumeMounts[0].name", "Not found: \"data\""},
      {"FieldValueForbidden", "spec", "Forbidden: nope"},
      {"FieldValueTooLong", "data", "Too long: must have at most 1048576 bytes"},
  };
  ASSERT_EQ(e.size(), std::size(want));
  for (size_t i = 0; i < e.size(); ++i) {
    EXPECT_EQ(e.causes()[i].reason, want[i].reason) << i;
    EXPECT_EQ(e.causes()[i].field, want[i].field) << i;
    EXPECT_EQ(e.causes()[i].message, want[i].message) << i;
  }
}

TEST(FieldErrorsTest, GoRenderingOfValues) {
  EXPECT_EQ(GoValue(Json({{"b", "2"}, {"a", "1"}})), "map[string]string{\"a\":\"1\", \"b\":\"2\"}");
  EXPECT_EQ(GoValue(Json::array({"10.96.0.10"})), "[]string{\"10.96.0.10\"}");
  EXPECT_EQ(GoValue(Json()), "null");
  EXPECT_EQ(GoValue(true), "true");
  EXPECT_EQ(GoValue("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(GoIntOrString("25%"), "intstr.IntOrString{Type:1, IntVal:0, StrVal:\"25%\"}");
  EXPECT_EQ(GoLabelSelector({{"matchLabels", {{"app", "x"}}}}),
            "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"x\"}, "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}");
  EXPECT_EQ(Key(Index(Child("spec", "containers"), 0), "cpu"), "spec.containers[0][cpu]");
}

TEST(FieldValidationTest, PortNamesPercentsAndAddresses) {
  EXPECT_TRUE(IsValidPortName("http").empty());
  EXPECT_EQ(IsValidPortName("8080"),
            std::vector<std::string>{"must contain at least one letter (a-z)"});
  EXPECT_EQ(IsValidPortName("a--b").size(), 1u);
  EXPECT_TRUE(IsValidPercent("25%").empty());
  EXPECT_FALSE(IsValidPercent("25").empty());
  uint32_t ip = 0;
  EXPECT_TRUE(ParseIpv4("10.96.0.1", &ip));
  EXPECT_EQ(FormatIpv4(ip), "10.96.0.1");
  EXPECT_FALSE(ParseIpv4("10.96.0.01", &ip));
  EXPECT_FALSE(ParseIpv4("10.96.0", &ip));
  EXPECT_FALSE(ParseIpv4("256.1.1.1", &ip));
}

TEST(FieldValidationTest, LabelSelectorsMatchAndValidate) {
  Json sel = {{"matchLabels", {{"app", "web"}}},
              {"matchExpressions", {{{"key", "tier"}, {"operator", "In"}, {"values", {"fe"}}}}}};
  Json labels = {{"app", "web"}, {"tier", "fe"}};
  EXPECT_TRUE(SelectorMatches(&sel, &labels));
  labels["tier"] = "be";
  EXPECT_FALSE(SelectorMatches(&sel, &labels));
  EXPECT_FALSE(SelectorMatches(nullptr, &labels)) << "a nil selector selects nothing";
  FieldErrors e;
  ValidateLabelSelector({{"matchExpressions", {{{"key", "a"}, {"operator", "In"}}}}},
                        "spec.selector", &e);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e.causes()[0].field, "spec.selector.matchExpressions[0].values");
  EXPECT_EQ(e.causes()[0].message,
            "Required value: must be specified when `operator` is 'In' or 'NotIn'");
}

}  // namespace
}  // namespace capstan::registry
