// Tests for core/selector/field_selector.h: term splitting, escaping, errors and matching.
#include "core/selector/field_selector.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace capstan::selector {
namespace {

using Op = FieldRequirement::Op;

TEST(FieldSelectorTest, ParsesTermsSortedWithUnescapedValues) {
  struct Case {
    const char* in;
    std::vector<FieldRequirement> want;
  };
  const Case cases[] = {
      {"", {}},
      {",,", {}},
      {"status.phase=Running", {{"status.phase", Op::kEquals, "Running"}}},
      {"a.b==c", {{"a.b", Op::kEquals, "c"}}},
      {"a.b!=c", {{"a.b", Op::kNotEquals, "c"}}},
      {"spec.nodeName=", {{"spec.nodeName", Op::kEquals, ""}}},
      {"z=1,a=2", {{"a", Op::kEquals, "2"}, {"z", Op::kEquals, "1"}}},
      {"a=x\\,y", {{"a", Op::kEquals, "x,y"}}},
      {"a=x\\=y\\\\z", {{"a", Op::kEquals, "x=y\\z"}}},
      {"a!b=c", {{"a!b", Op::kEquals, "c"}}},
      {" a = b ", {{" a ", Op::kEquals, " b "}}},
  };
  for (const Case& c : cases) {
    Result<FieldSelector> s = FieldSelector::Parse(c.in);
    ASSERT_TRUE(s.ok()) << c.in << ": " << s.status().ToString();
    EXPECT_EQ(s->requirements(), c.want) << c.in;
  }
}

TEST(FieldSelectorTest, RejectsMalformedSelectorsWithUpstreamMessages) {
  struct Case {
    const char* in;
    const char* message;
  };
  const Case cases[] = {
      {"abc", "invalid selector: 'abc'; can't understand 'abc'"},
      {"a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"},
      {"a=b=c", "invalid field selector: unescaped character in value: 61"},
      {"a=x\\y", "invalid field selector: invalid escape sequence: \\y"},
      {"a=x\\", "invalid field selector: invalid escape sequence: \\"},
  };
  for (const Case& c : cases) {
    Result<FieldSelector> s = FieldSelector::Parse(c.in);
    ASSERT_FALSE(s.ok()) << c.in;
    EXPECT_EQ(s.status().code(), StatusCode::kBadRequest);
    EXPECT_EQ(s.status().message(), c.message) << c.in;
  }
}

TEST(FieldSelectorTest, StringEscapesValuesAgain) {
  Result<FieldSelector> s = FieldSelector::Parse("b!=x\\,y,a=1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->String(), "a=1,b!=x\\,y");
  EXPECT_EQ(EscapeFieldValue("a,b=c\\"), "a\\,b\\=c\\\\");
  Result<std::string> round = UnescapeFieldValue(EscapeFieldValue("a,b=c\\"));
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(*round, "a,b=c\\");
}

TEST(FieldSelectorTest, MatchesThroughACallerGetterWithMissingFieldsEmpty) {
  const std::map<std::string, std::string, std::less<>> pod{{"status.phase", "Running"},
                                                            {"spec.nodeName", "n1"}};
  auto get = [&pod](std::string_view f) -> std::string_view {
    auto it = pod.find(f);
    return it == pod.end() ? std::string_view() : std::string_view(it->second);
  };
  struct Case {
    const char* selector;
    bool matches;
  };
  const Case cases[] = {
      {"", true},
      {"status.phase=Running", true},
      {"status.phase==Running,spec.nodeName=n1", true},
      {"status.phase=Running,spec.nodeName=n2", false},
      {"status.phase!=Pending", true},
      {"status.phase!=Running", false},
      {"spec.schedulerName=", true},
      {"spec.schedulerName!=", false},
  };
  for (const Case& c : cases) {
    Result<FieldSelector> s = FieldSelector::Parse(c.selector);
    ASSERT_TRUE(s.ok()) << c.selector;
    EXPECT_EQ(s->Matches(get), c.matches) << c.selector;
  }
}

TEST(FieldSelectorTest, ReportsExactMatchForIndexes) {
  Result<FieldSelector> s = FieldSelector::Parse("metadata.name=x,spec.nodeName!=y");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->RequiresExactMatch("metadata.name"), "x");
  EXPECT_EQ(s->RequiresExactMatch("spec.nodeName"), std::nullopt);
}

}  // namespace
}  // namespace capstan::selector
