// Tests for sdk/include/capstan/sdk/json.h: the non-throwing nlohmann/json adapter.
#include "capstan/sdk/json.h"

#include <gtest/gtest.h>

namespace capstan::sdk::json {
namespace {

TEST(JsonTest, ParseReturnsNulloptForMalformedText) {
  EXPECT_FALSE(Parse("{").has_value());
  EXPECT_FALSE(Parse("").has_value());
  EXPECT_TRUE(Parse("[]").has_value());
}

TEST(JsonTest, TypedReadsRejectOtherTypesInsteadOfThrowing) {
  Json j = *Parse(R"({"s":"x","i":3,"b":true,"o":{"k":"v"},"a":[1]})");
  EXPECT_EQ(GetString(j, "s"), "x");
  EXPECT_FALSE(GetString(j, "i").has_value());
  EXPECT_EQ(GetInt(j, "i"), 3);
  EXPECT_FALSE(GetInt(j, "s").has_value());
  EXPECT_EQ(GetBool(j, "b"), true);
  EXPECT_NE(GetObject(j, "o"), nullptr);
  EXPECT_EQ(GetObject(j, "a"), nullptr);
  EXPECT_NE(GetArray(j, "a"), nullptr);
  EXPECT_EQ(Find(Json::array(), "x"), nullptr);
  ASSERT_NE(FindPath(j, {"o", "k"}), nullptr);
  EXPECT_EQ(FindPath(j, {"o", "missing"}), nullptr);
  EXPECT_EQ(AsString(*FindPath(j, {"o", "k"})), "v");
}

TEST(JsonTest, DumpReplacesInvalidUtf8InsteadOfThrowing) {
  Json j = std::string("bad\xff");
  EXPECT_EQ(Dump(j), "\"bad\xEF\xBF\xBD\"");
}

}  // namespace
}  // namespace capstan::sdk::json
