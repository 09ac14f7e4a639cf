// Tests for core/selector/label_selector.h: parsing (valid and invalid strings with upstream's
// messages), canonical strings, matching tables and metav1.LabelSelector conversion.
#include "core/selector/label_selector.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace capstan::selector {
namespace {

using Json = nlohmann::json;

TEST(LabelSelectorTest, ParsesValidSelectorsToCanonicalStrings) {
  struct Case {
    const char* in;
    const char* canonical;
  };
  const Case cases[] = {
      {"", ""},
      {"  ", ""},
      {"app=web", "app=web"},
      {"app==web", "app==web"},
      {"app!=web", "app!=web"},
      {"tier in (fe,be),app=web", "app=web,tier in (be,fe)"},
      {"tier notin (fe)", "tier notin (fe)"},
      {"app", "app"},
      {"!canary", "!canary"},
      {"app=web,tier in (fe,be),!canary", "app=web,!canary,tier in (be,fe)"},
      {"x>1,y<10", "x>1,y<10"},
      {"a=", "a="},
      {"a in ()", "a in ()"},
      {"a in (,b)", "a in (,b)"},
      {"a in (b,)", "a in (,b)"},
      {"a in (in,notin)", "a in (in,notin)"},
      {"example.com/role = db", "example.com/role=db"},
      {"a\t=\nb", "a=b"},
      {"in=x", "in=x"},
  };
  for (const Case& c : cases) {
    Result<LabelSelector> s = LabelSelector::Parse(c.in);
    ASSERT_TRUE(s.ok()) << c.in << ": " << s.status().ToString();
    EXPECT_EQ(s->String(), c.canonical) << c.in;
  }
}

TEST(LabelSelectorTest, RejectsInvalidSelectorsWithUpstreamMessages) {
  struct Case {
    const char* in;
    const char* message;
  };
  const Case cases[] = {
      {"a=b,", "found '', expected: identifier after ','"},
      {",a", "found ',', expected: !, identifier, or 'end of string'"},
      {"a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"},
      {"a in b", "unable to parse requirement: found 'b' expected: '('"},
      {"a in (b", "unable to parse requirement: found '', expected: ',' or ')'"},
      {"a notin", "unable to parse requirement: found '' expected: '('"},
      {"!a=b", "found '=', expected: ',' or 'end of string'"},
      {"a=b=c", "found '=', expected: ',' or 'end of string'"},
      {"a=(b)", "unable to parse requirement: found '(', expected: identifier"},
      {"!", "unable to parse requirement: found '', expected: identifier"},
      {"=a", "found '=', expected: !, identifier, or 'end of string'"},
      {"x>a",
       "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' "
       "operators, the value must be an integer"},
      {"a<>b", "unable to parse requirement: found '>', expected: identifier"},
      {"a!b", "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"},
  };
  for (const Case& c : cases) {
    Result<LabelSelector> s = LabelSelector::Parse(c.in);
    ASSERT_FALSE(s.ok()) << c.in;
    EXPECT_EQ(s.status().code(), StatusCode::kBadRequest);
    EXPECT_EQ(s.status().message(), c.message) << c.in;
  }
}

TEST(LabelSelectorTest, RejectsInvalidKeysAndValuesInKubernetesWording) {
  Result<LabelSelector> key = LabelSelector::Parse("a b c=d");
  ASSERT_FALSE(key.ok());
  Result<LabelSelector> bad_key = LabelSelector::Parse("-x=1");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.status().message().rfind(
                "unable to parse requirement: <nil>: Invalid value: \"-x\": name part must "
                "consist of alphanumeric characters",
                0),
            0u)
      << bad_key.status().message();
  Result<LabelSelector> bad_value = LabelSelector::Parse("app=-web");
  ASSERT_FALSE(bad_value.ok());
  EXPECT_EQ(bad_value.status().message().rfind(
                "unable to parse requirement: values[0][app]: Invalid value: \"-web\": a valid "
                "label must be an empty string",
                0),
            0u)
      << bad_value.status().message();
}

TEST(LabelSelectorTest, MatchesLabelSetsAsUpstream) {
  const std::map<std::string, std::string, std::less<>> web{
      {"app", "web"}, {"tier", "fe"}, {"n", "5"}};
  const std::map<std::string, std::string, std::less<>> none;
  struct Case {
    const char* selector;
    bool matches_web;
    bool matches_none;
  };
  const Case cases[] = {
      {"", true, true},
      {"app=web", true, false},
      {"app==web", true, false},
      {"app=db", false, false},
      {"app!=db", true, true},
      {"app!=web", false, true},
      {"tier in (fe,be)", true, false},
      {"tier notin (fe)", false, true},
      {"tier notin (be)", true, true},
      {"app", true, false},
      {"!app", false, true},
      {"app,!canary", true, false},
      {"n>4", true, false},
      {"n>5", false, false},
      {"n<6", true, false},
      {"app>1", false, false},
      {"app=web,tier=be", false, false},
      {"app=", false, false},
  };
  for (const Case& c : cases) {
    Result<LabelSelector> s = LabelSelector::Parse(c.selector);
    ASSERT_TRUE(s.ok()) << c.selector;
    EXPECT_EQ(s->Matches(web), c.matches_web) << c.selector;
    EXPECT_EQ(s->Matches(none), c.matches_none) << c.selector;
  }
}

TEST(LabelSelectorTest, MatchesJsonLabelsAndWholeObjects) {
  Result<LabelSelector> s = LabelSelector::Parse("app=web,!canary");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches(Json{{"app", "web"}}));
  EXPECT_FALSE(s->Matches(Json{{"app", "web"}, {"canary", "true"}}));
  EXPECT_FALSE(s->Matches(Json(nullptr)));
  EXPECT_TRUE(s->MatchesObject(Json::parse(R"({"metadata":{"labels":{"app":"web"}}})")));
  EXPECT_FALSE(s->MatchesObject(Json::parse(R"({"metadata":{"name":"x"}})")));
  Result<LabelSelector> absent = LabelSelector::Parse("!app");
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE(absent->MatchesObject(Json::object()));
}

TEST(LabelSelectorTest, ConvertsMetav1LabelSelectorJson) {
  Result<LabelSelector> s = LabelSelector::FromJson(Json::parse(R"({
      "matchLabels": {"app": "web"},
      "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["fe", "be"]},
        {"key": "env", "operator": "NotIn", "values": ["prod"]},
        {"key": "track", "operator": "Exists"},
        {"key": "canary", "operator": "DoesNotExist"}
      ]})"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->String(), "app=web,!canary,env notin (prod),tier in (be,fe),track");
  EXPECT_TRUE(s->Matches(Json{{"app", "web"}, {"tier", "be"}, {"track", "x"}}));
  EXPECT_FALSE(s->Matches(Json{{"app", "web"}, {"tier", "be"}, {"track", "x"}, {"env", "prod"}}));
  EXPECT_FALSE(s->Matches(Json{{"app", "web"}, {"tier", "be"}}));
}

TEST(LabelSelectorTest, NullLabelSelectorMatchesNothingAndEmptyMatchesEverything) {
  Result<LabelSelector> nothing = LabelSelector::FromJson(Json(nullptr));
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->IsNothing());
  EXPECT_FALSE(nothing->Matches(Json::object()));
  Result<LabelSelector> everything = LabelSelector::FromJson(Json::object());
  ASSERT_TRUE(everything.ok());
  EXPECT_TRUE(everything->Empty());
  EXPECT_TRUE(everything->Matches(Json{{"any", "thing"}}));
}

TEST(LabelSelectorTest, RejectsInvalidLabelSelectorJson) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"matchExpressions":[{"key":"a","operator":"Foo"}]})",
       "\"Foo\" is not a valid label selector operator"},
      {R"({"matchExpressions":[{"key":"a","operator":"In","values":[]}]})",
       "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"},
      {R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]})",
       "values: Invalid value: [\"x\"]: values set must be empty for exists and does not exist"},
      {R"({"matchLabels":{"a":5}})", "matchLabels.a must be a string"},
      {R"("app=web")", "label selector must be an object"},
  };
  for (const Case& c : cases) {
    Result<LabelSelector> s = LabelSelector::FromJson(Json::parse(c.json));
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_EQ(s.status().code(), StatusCode::kBadRequest);
    EXPECT_EQ(s.status().message(), c.message) << c.json;
  }
  Result<LabelSelector> bad_key =
      LabelSelector::FromJson(Json::parse(R"({"matchLabels":{"a b":"c"}})"));
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.status().message().rfind("key: Invalid value: \"a b\": name part", 0), 0u);
}

TEST(LabelSelectorTest, ReportsExactMatchRequirementsForIndexes) {
  Result<LabelSelector> s = LabelSelector::Parse("app=web,tier in (fe),env in (a,b),x!=y");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->RequiresExactMatch("app"), "web");
  EXPECT_EQ(s->RequiresExactMatch("tier"), "fe");
  EXPECT_EQ(s->RequiresExactMatch("env"), std::nullopt);
  EXPECT_EQ(s->RequiresExactMatch("x"), std::nullopt);
  EXPECT_EQ(s->RequiresExactMatch("missing"), std::nullopt);
}

TEST(LabelSelectorTest, FromSetRequiresEveryPair) {
  LabelSelector s = LabelSelector::FromSet({{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(s.String(), "a=1,b=2");
  EXPECT_TRUE(s.Matches(Json{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_FALSE(s.Matches(Json{{"a", "1"}}));
}

}  // namespace
}  // namespace capstan::selector
