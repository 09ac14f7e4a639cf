// Tests for core/common/config.h: YAML typing, error positions, JSON parsing and durations.
#include "core/common/config.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

namespace capstan::config {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Parses "v: <scalar>" and returns the value of `v`.
json ScalarOf(const std::string& scalar) {
  Result<json> doc = ParseYaml("v: " + scalar + "\n", "t.yaml");
  EXPECT_TRUE(doc.ok()) << scalar << ": " << doc.status().ToString();
  if (!doc.ok()) return "<error>";
  return (*doc)["v"];
}

struct TypingCase {
  std::string yaml;
  json want;
};

TEST(ParseYamlTest, ScalarsFollowTheYaml12CoreSchema) {
  const TypingCase cases[] = {
      {"true", true},
      {"True", true},
      {"FALSE", false},
      {"yes", "yes"},
      {"no", "no"},
      {"on", "on"},
      {"off", "off"},
      {"y", "y"},
      {"~", nullptr},
      {"null", nullptr},
      {"NULL", nullptr},
      {"", nullptr},
      {"0", 0},
      {"42", 42},
      {"-17", -17},
      {"+5", 5},
      {"012", 12},
      {"0x1F", 31},
      {"0xff", 255},
      {"0o17", 15},
      {"0b101", "0b101"},
      {"-0x1F", "-0x1F"},
      {"9223372036854775807", int64_t{9223372036854775807}},
      {"18446744073709551615", uint64_t{18446744073709551615u}},
      {"1.5", 1.5},
      {"-2.", -2.0},
      {".5", 0.5},
      {"1e3", 1000.0},
      {"6.02E+23", 6.02e23},
      {"1_000", "1_000"},
      {"\"42\"", "42"},
      {"'true'", "true"},
      {"\"null\"", "null"},
      {"'~'", "~"},
      {"!!str 42", "42"},
      {"!!int \"42\"", 42},
      {"!!float 3", 3.0},
      {"!!bool 'false'", false},
      {"!!null ''", nullptr},
      {"!!binary aGVsbG8=", "aGVsbG8="},
      {"!custom 12", "12"},
      {"! 12", "12"},
      {"1.2.3", "1.2.3"},
      {"12:30", "12:30"},
      {"2026-11-22", "2026-11-22"},
      {"hello world", "hello world"},
      {"|\n  line\n", "line\n"},
      {">-\n  folded\n  text\n", "folded text"},
      {"\"tab\\there\"", "tab\there"},
      {"\"\\u00e9\"", "\xc3\xa9"},
  };
  for (const TypingCase& c : cases) {
    json got = ScalarOf(c.yaml);
    EXPECT_EQ(got, c.want) << "yaml: " << c.yaml << " got " << got.dump();
    EXPECT_EQ(got.type(), c.want.type()) << "yaml: " << c.yaml;
  }
}

TEST(ParseYamlTest, InfinityAndNanBecomeDoubles) {
  EXPECT_EQ(ScalarOf(".inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(ScalarOf("-.Inf"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(ScalarOf("+.INF"), std::numeric_limits<double>::infinity());
  json nan = ScalarOf(".nan");
  ASSERT_TRUE(nan.is_number_float());
  EXPECT_TRUE(std::isnan(nan.get<double>()));
  EXPECT_EQ(ScalarOf("inf"), "inf");
}

TEST(ParseYamlTest, BuildsNestedMappingsAndSequences) {
  Result<json> doc = ParseYaml(R"(
plugins:
  - name: sched/binpack
    weight: 2
    args: {mode: strict, tags: [a, "b"]}
  - name: auth/token
empty_list: []
empty_map: {}
)",
                               "chain.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json::parse(R"({
    "plugins": [
      {"name": "sched/binpack", "weight": 2, "args": {"mode": "strict", "tags": ["a", "b"]}},
      {"name": "auth/token"}],
    "empty_list": [], "empty_map": {}})"));
}

TEST(ParseYamlTest, NonStringScalarKeysBecomeTheirText) {
  Result<json> doc = ParseYaml("1: a\ntrue: b\n0x10: c\n", "t.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json({{"1", "a"}, {"true", "b"}, {"0x10", "c"}}));
}

TEST(ParseYamlTest, AnchorsAliasesAndMergeKeysExpand) {
  Result<json> doc = ParseYaml(R"(
base: &base {cpu: 1, memory: 2}
extra: &extra {disk: 3, cpu: 9}
list: &list [x, y]
copy: *base
again: *list
merged:
  <<: [*base, *extra]
  memory: 5
"<<": literal
)",
                               "t.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["copy"], json({{"cpu", 1}, {"memory", 2}}));
  EXPECT_EQ((*doc)["again"], json({"x", "y"}));
  // Explicit keys win over merged ones; earlier merge sources win over later ones.
  EXPECT_EQ((*doc)["merged"], json({{"cpu", 1}, {"memory", 5}, {"disk", 3}}));
  EXPECT_EQ((*doc)["<<"], "literal");
}

TEST(ParseYamlTest, EmptyAndNullDocumentsYieldAnEmptyObject) {
  for (const char* text : {"", "# only a comment\n", "---\n", "~\n", "---\n...\n"}) {
    Result<json> doc = ParseYaml(text, "t.yaml");
    ASSERT_TRUE(doc.ok()) << text << ": " << doc.status().ToString();
    EXPECT_EQ(*doc, json::object()) << text;
  }
}

TEST(ParseYamlTest, JsonIsAcceptedAsYaml) {
  Result<json> doc = ParseYaml(R"({"a": [1, 2.5, "x", null, true], "b": {}})", "t.json");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json::parse(R"({"a": [1, 2.5, "x", null, true], "b": {}})"));
}

TEST(ParseYamlTest, LeadingAndTrailingDocumentMarkersAreAllowed) {
  Result<json> doc = ParseYaml("---\na: 1\n---\n", "t.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json({{"a", 1}}));
}

struct ErrorCase {
  std::string yaml;
  std::string want;  // full message
};

TEST(ParseYamlTest, ErrorsNameSourceLineAndColumn) {
  const ErrorCase cases[] = {
      {"a: [1, 2\n", "cfg.yaml:2:1: end of sequence flow not found"},
      {"a: *nope\n", "cfg.yaml:1:4: the referenced anchor is not defined"},
      {"a: b: c\n", "cfg.yaml:1:5: illegal map value"},
      {"a: 1\nb:\n  - x\n  y: 2\n", "cfg.yaml:4:3: end of map not found"},
      {"a: 1\n---\nb: 2\n",
       "cfg.yaml:2:1: a second YAML document; a config file holds exactly one"},
      {"x: 1\nx: 2\n", "cfg.yaml:2:1: duplicate mapping key \"x\""},
      {"? [1, 2]\n: v\n", "cfg.yaml:1:3: mapping key must be a scalar"},
      {"a:\n  {k: v}: 1\n", "cfg.yaml:2:3: mapping key must be a scalar"},
      {"~: v\n", "cfg.yaml:1:1: mapping key must not be null"},
      {"n: !!int abc\n", "cfg.yaml:1:4: cannot parse \"abc\" as !!int"},
      {"n: !!int 1.5\n", "cfg.yaml:1:4: cannot parse \"1.5\" as !!int"},
      {"n: !!bool yes\n", "cfg.yaml:1:4: cannot parse \"yes\" as !!bool"},
      {"n: !!float x\n", "cfg.yaml:1:4: cannot parse \"x\" as !!float"},
      {"m:\n  <<: 5\n", "cfg.yaml:2:7: merge key \"<<\" needs a mapping or a list of mappings"},
      {"s: \"\\uD800\"\n", "cfg.yaml:1:11: invalid unicode: 55296"},
      {"s: \xff\xfe\n", "cfg.yaml:1:4: invalid UTF-8 in scalar"},
      {"a: &a [*a]\n", "cfg.yaml:1:8: alias refers to a node that contains it"},
  };
  for (const ErrorCase& c : cases) {
    Result<json> doc = ParseYaml(c.yaml, "cfg.yaml");
    ASSERT_FALSE(doc.ok()) << c.yaml;
    EXPECT_EQ(doc.status().code(), StatusCode::kBadRequest) << c.yaml;
    EXPECT_EQ(doc.status().message(), c.want) << c.yaml;
  }
}

TEST(ParseYamlTest, RejectsAliasBombs) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", " : "") + prev;
    text += "]\n";
  }
  Result<json> doc = ParseYaml(text, "bomb.yaml");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kBadRequest);
  EXPECT_THAT(doc.status().message(), HasSubstr("nodes"));
}

TEST(ParseYamlTest, RejectsNestingDeeperThanTheLimit) {
  std::string deep(kMaxNestingDepth + 1, '[');
  deep += std::string(kMaxNestingDepth + 1, ']');
  Result<json> doc = ParseYaml(deep, "deep.yaml");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kBadRequest);
  EXPECT_THAT(doc.status().message(), StartsWith("deep.yaml:1:"));

  std::string ok(50, '[');
  ok += std::string(50, ']');
  EXPECT_TRUE(ParseYaml(ok, "ok.yaml").ok());
}

TEST(LoadYamlFileTest, ReadsAFileAndReportsMissingOnes) {
  char path[] = "/tmp/capstan_config_test_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string body = "name: x\ncount: 3\n";
  ASSERT_EQ(write(fd, body.data(), body.size()), static_cast<ssize_t>(body.size()));
  close(fd);
  Result<json> doc = LoadYamlFile(path);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, json({{"name", "x"}, {"count", 3}}));

  fd = open(path, O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "a: [\n", 5), 5);
  close(fd);
  doc = LoadYamlFile(path);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kBadRequest);
  EXPECT_THAT(doc.status().message(), StartsWith(std::string(path) + ":2:1: "));
  unlink(path);

  doc = LoadYamlFile(path);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(doc.status().message(), HasSubstr(path));
}

TEST(ParseJsonTest, ParsesValidJson) {
  Result<json> doc = ParseJson(R"({"kind":"Pod","spec":{"n":[1,2.5,true,null]}})", "body");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["spec"]["n"][1], 2.5);
}

TEST(ParseJsonTest, ErrorsNameSourceAndByteWithoutThrowing) {
  const std::pair<std::string, std::string> cases[] = {
      {"",
       "body: syntax error while parsing value - unexpected end of input; expected '[', "
       "'{', or a literal at byte 0"},
      {"{\"a\": tru}",
       "body: syntax error while parsing value - invalid literal; last read: "
       "'\"a\": tru}' at byte 10"},
      {"[1, 2",
       "body: syntax error while parsing array - unexpected end of input; expected ']' "
       "at byte 5"},
      {"{} x",
       "body: syntax error while parsing value - invalid literal; last read: '{} x'; expected "
       "end of input at byte 4"},
  };
  for (const auto& [text, want] : cases) {
    Result<json> doc = ParseJson(text, "body");
    ASSERT_FALSE(doc.ok()) << text;
    EXPECT_EQ(doc.status().code(), StatusCode::kBadRequest) << text;
    EXPECT_EQ(doc.status().message(), want) << text;
  }
}

TEST(ParseJsonTest, RejectsInvalidUtf8AndDeepNesting) {
  Result<json> bad = ParseJson("\"\xff\"", "body");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kBadRequest);
  EXPECT_THAT(bad.status().message(), StartsWith("body: "));
  for (char c : bad.status().message()) EXPECT_LT(static_cast<unsigned char>(c), 0x80);

  std::string deep(kMaxNestingDepth + 1, '[');
  Result<json> too_deep = ParseJson(deep, "body");
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.status().message(), "body: nesting deeper than 1000 at byte 1001");

  // Brackets inside strings do not count.
  std::string in_string = "\"" + std::string(2000, '[') + "\"";
  EXPECT_TRUE(ParseJson(in_string, "body").ok());
}

struct DurationCase {
  std::string text;
  int64_t want_ns;
};

TEST(ParseDurationNsTest, AcceptsGoDurationSyntax) {
  constexpr int64_t kUs = 1'000, kMs = 1'000'000, kS = 1'000'000'000, kM = 60 * kS, kH = 60 * kM;
  const DurationCase cases[] = {
      {"0", 0},
      {"-0", 0},
      {"+0", 0},
      {"0s", 0},
      {"5s", 5 * kS},
      {"30s", 30 * kS},
      {"1478s", 1478 * kS},
      {"-5s", -5 * kS},
      {"+5s", 5 * kS},
      {"1.5h", 90 * kM},
      {".5s", kS / 2},
      {"1.s", kS},
      {"1.0s", kS},
      {"1.004s", 1004 * kMs},
      {"100.00100s", 100 * kS + kMs},
      {"10ns", 10},
      {"11us", 11 * kUs},
      {"12\xc2\xb5s", 12 * kUs},  // U+00B5 micro sign
      {"12\xce\xbcs", 12 * kUs},  // U+03BC Greek mu
      {"13ms", 13 * kMs},
      {"14s", 14 * kS},
      {"15m", 15 * kM},
      {"16h", 16 * kH},
      {"3h30m", 3 * kH + 30 * kM},
      {"1h2m3.5s", kH + 2 * kM + 3 * kS + kS / 2},
      {"10.5s4m", 4 * kM + 10 * kS + kS / 2},
      {"-2m3.4s", -(2 * kM + 3 * kS + 400 * kMs)},
      {"1h1m1s1ms1us1ns", kH + kM + kS + kMs + kUs + 1},
      {"39h9m14.425s", 39 * kH + 9 * kM + 14 * kS + 425 * kMs},
      {"0.3333333333333333333h", 20 * kM},
      {"9007199254.740993ms", 9007199254740993},
      {"9223372036854775807ns", INT64_MAX},
      {"9223372036.854775807s", INT64_MAX},
      {"-9223372036854775808ns", INT64_MIN},
      {"0.100000000000000000000h", 6 * kM},
  };
  for (const DurationCase& c : cases) {
    Result<int64_t> got = ParseDurationNs(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.want_ns) << c.text;
  }
}

TEST(ParseDurationNsTest, RejectsMalformedDurations) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "invalid duration \"\": empty"},
      {"-", "invalid duration \"-\": empty"},
      {"3", "invalid duration \"3\": missing unit"},
      {"5x", "invalid duration \"5x\": unknown unit \"x\""},
      {"1d", "invalid duration \"1d\": unknown unit \"d\""},
      {"1S", "invalid duration \"1S\": unknown unit \"S\""},
      {"s", "invalid duration \"s\": expected a number"},
      {".s", "invalid duration \".s\": expected a number"},
      {"1h.", "invalid duration \"1h.\": expected a number"},
      {"1 s", "invalid duration \"1 s\": unknown unit \" s\""},
      {" 1s", "invalid duration \" 1s\": expected a number"},
      {"--1s", "invalid duration \"--1s\": expected a number"},
      {"9223372036854775808ns", "invalid duration \"9223372036854775808ns\": out of range"},
      {"9223372036.854775808s", "invalid duration \"9223372036.854775808s\": out of range"},
      {"3000000h", "invalid duration \"3000000h\": out of range"},
      {"99999999999999999999s", "invalid duration \"99999999999999999999s\": out of range"},
  };
  for (const auto& [text, want] : cases) {
    Result<int64_t> got = ParseDurationNs(text);
    ASSERT_FALSE(got.ok()) << text;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalid) << text;
    EXPECT_EQ(got.status().message(), want) << text;
  }
}

}  // namespace
}  // namespace capstan::config
