// Tests for core/plugin/schema.h: compiling plugin schemas and locating config errors.
#include "core/plugin/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace capstan::plugin {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr const char* kTokensSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "tokens": {"type": "array", "items": {
      "type": "object", "required": ["user"],
      "properties": {"user": {"type": "string"}, "token": {"type": "string"}}}}
  }
})";

TEST(SchemaTest, ValidConfigPasses) {
  auto schema = ConfigSchema::Compile(kTokensSchema);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_TRUE((*schema)->Validate(json::parse(R"({"tokens":[{"user":"a","token":"t"}]})")).ok());
  EXPECT_TRUE((*schema)->Validate(json::object()).ok());
}

TEST(SchemaTest, InvalidConfigNamesTheDeepestJsonPointer) {
  auto schema = ConfigSchema::Compile(kTokensSchema);
  ASSERT_TRUE(schema.ok());
  Status s = (*schema)->Validate(json::parse(R"({"tokens":[{"user":"a"},{"user":5}]})"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_THAT(s.message(), HasSubstr("at /tokens/1/user: "));
}

TEST(SchemaTest, MissingRequiredPropertyIsReportedAtItsObject) {
  auto schema = ConfigSchema::Compile(kTokensSchema);
  ASSERT_TRUE(schema.ok());
  Status s = (*schema)->Validate(json::parse(R"({"tokens":[{"token":"t"}]})"));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("at /tokens/0: "));
  EXPECT_THAT(s.message(), HasSubstr("user"));
}

TEST(SchemaTest, WrongRootTypeIsReportedAtTheRoot) {
  auto schema = ConfigSchema::Compile(kTokensSchema);
  ASSERT_TRUE(schema.ok());
  Status s = (*schema)->Validate(json::array());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("at /: "));
}

TEST(SchemaTest, PointerTokensAreEscaped) {
  auto schema =
      ConfigSchema::Compile(R"({"type":"object","properties":{"a/b~c":{"type":"string"}}})");
  ASSERT_TRUE(schema.ok());
  Status s = (*schema)->Validate(json::parse(R"({"a/b~c": 1})"));
  EXPECT_THAT(s.message(), HasSubstr("at /a~1b~0c: "));
}

TEST(SchemaTest, SchemaThatIsNotJsonIsRefused) {
  auto schema = ConfigSchema::Compile("{\"type\": ");
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().message(), "invalid config schema: not valid JSON");
}

TEST(SchemaTest, UnusableSchemaIsRefusedInsteadOfAborting) {
  for (const char* text : {R"({"type": 5})", R"({"$ref": "http://example.com/s.json"})",
                           R"({"properties": {"a": {"minimum": "x"}}})"}) {
    auto schema = ConfigSchema::Compile(text);
    ASSERT_FALSE(schema.ok()) << text;
    EXPECT_THAT(schema.status().message(), HasSubstr("invalid config schema: ")) << text;
  }
}

}  // namespace
}  // namespace capstan::plugin
