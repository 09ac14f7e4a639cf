// Tests for core/apiserver/http_request.h: URL decoding, query parsing and target splitting.
#include "core/apiserver/http_request.h"

#include <gtest/gtest.h>

namespace capstan::apiserver {
namespace {

TEST(HttpRequestTest, PercentDecodeHandlesEscapesAndPlus) {
  struct Case {
    std::string in;
    bool plus_as_space;
    std::string out;
  };
  const Case cases[] = {
      {"a%20b", false, "a b"},   {"a+b", false, "a+b"},        {"a+b", true, "a b"},
      {"%2Fx%2f", false, "/x/"}, {"caf%C3%A9", false, "café"}, {"", false, ""},
  };
  for (const Case& c : cases) {
    Result<std::string> r = PercentDecode(c.in, c.plus_as_space);
    ASSERT_TRUE(r.ok()) << c.in;
    EXPECT_EQ(*r, c.out) << c.in;
  }
  for (const char* bad : {"%", "%2", "%zz", "a%g1"}) {
    Result<std::string> r = PercentDecode(bad, false);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kBadRequest);
  }
}

TEST(HttpRequestTest, QueryKeepsRepeatedParametersInOrder) {
  FieldList q;
  ParseQuery("command=ls&command=-la&container=c&stdin=true", &q);
  EXPECT_EQ(q.GetAll("command"), (std::vector<std::string_view>{"ls", "-la"}));
  EXPECT_EQ(q.Get("container"), "c");
  EXPECT_FALSE(q.Has("stdout"));
  EXPECT_EQ(q.size(), 4u);
}

TEST(HttpRequestTest, QueryDecodesLikeGo) {
  FieldList q;
  ParseQuery("labelSelector=app%3Dweb%2Ctier+in+(a)&flag&&empty=&bad=%zz&x=1", &q);
  EXPECT_EQ(q.Get("labelSelector"), "app=web,tier in (a)");
  EXPECT_EQ(q.Get("flag"), "");
  EXPECT_EQ(q.Get("empty"), "");
  EXPECT_FALSE(q.Has("bad"));  // malformed pair dropped, the rest kept
  EXPECT_EQ(q.Get("x"), "1");
}

TEST(HttpRequestTest, TargetFormsAreSplitIntoPathAndQuery) {
  struct Case {
    std::string target;
    std::string path;
    std::string raw_query;
  };
  const Case cases[] = {
      {"/api/v1/pods?watch=true", "/api/v1/pods", "watch=true"},
      {"/api/v1/namespaces/a%20b/pods", "/api/v1/namespaces/a b/pods", ""},
      {"/version", "/version", ""},
      {"https://127.0.0.1:6443/api?x=1", "/api", "x=1"},
      {"http://host", "/", ""},
      {"*", "*", ""},
  };
  for (const Case& c : cases) {
    HttpRequest r;
    Status s = ParseTarget(c.target, &r);
    ASSERT_TRUE(s.ok()) << c.target << ": " << s.ToString();
    EXPECT_EQ(r.target, c.target);
    EXPECT_EQ(r.path, c.path) << c.target;
    EXPECT_EQ(r.raw_query, c.raw_query) << c.target;
  }
  for (const char* bad : {"api/v1", "", "/a%zz"}) {
    HttpRequest r;
    EXPECT_EQ(ParseTarget(bad, &r).code(), StatusCode::kBadRequest) << bad;
  }
}

TEST(HttpRequestTest, UpgradeNeedsConnectionTokenAndUpgradeHeader) {
  HttpRequest r;
  r.headers.Add("connection", "keep-alive, Upgrade");
  EXPECT_FALSE(r.IsUpgrade());
  r.headers.Add("upgrade", "websocket");
  EXPECT_TRUE(r.IsUpgrade());
  EXPECT_TRUE(HeaderHasToken(" close ,x", "CLOSE"));
  EXPECT_FALSE(HeaderHasToken("closed", "close"));
}

}  // namespace
}  // namespace capstan::apiserver
