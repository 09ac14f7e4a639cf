// Tests for the static-token authn plugin: token file parsing and authentication through the C
// vtable with the SDK's fake host.
#include "static_token.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"
#include "token_file.h"

namespace capstan::plugins {
namespace {

TEST(TokenFileTest, ParsesUpstreamFormatWithQuotedGroups) {
  std::vector<TokenEntry> entries;
  std::string error;
  ASSERT_TRUE(
      ParseTokenFile("# comment\nt1,alice,1001,\"dev,ops\"\n\nt2,bob,1002\n", &entries, &error))
      << error;
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].user, "alice");
  EXPECT_EQ(entries[0].groups, (std::vector<std::string>{"dev", "ops"}));
  EXPECT_TRUE(entries[1].groups.empty());
}

TEST(TokenFileTest, MalformedLinesNameTheLine) {
  std::vector<TokenEntry> entries;
  std::string error;
  EXPECT_FALSE(ParseTokenFile("t1,alice,1\nonly-a-token\n", &entries, &error));
  EXPECT_EQ(error.rfind("line 2:", 0), 0u) << error;
  EXPECT_FALSE(ParseTokenFile("t1,alice,1,\"unterminated\n", &entries, &error));
}

class StaticTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/tokens-" + std::to_string(::getpid()) + ".csv";
    std::ofstream(path_) << "secret-admin,admin,admin-uid,\"system:masters\"\n";
    config_ = "{\"tokenFile\":\"" + path_ + "\"}";
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_;
  std::string config_;
};

TEST_F(StaticTokenTest, AListedTokenAuthenticatesWithItsGroups) {
  sdk::testing::FakeHost host;
  sdk::testing::TestPlugin<StaticTokenAuthn> p(host, config_);
  ASSERT_TRUE(p.init().ok()) << p.init().error;
  sdk::testing::AuthnRequestBuilder req;
  sdk::testing::Outcome o = p.Authenticate(req.BearerToken("secret-admin").get());
  ASSERT_TRUE(o.ok()) << o.error;
  auto user = sdk::json::Parse(o.output);
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ((*user)["username"], "admin");
  EXPECT_EQ((*user)["groups"], sdk::json::Json::array({"system:masters"}));
}

TEST_F(StaticTokenTest, UnknownAndMissingTokensAreSkipped) {
  sdk::testing::FakeHost host;
  sdk::testing::TestPlugin<StaticTokenAuthn> p(host, config_);
  sdk::testing::AuthnRequestBuilder req;
  EXPECT_EQ(p.Authenticate(req.get()).rc, CAPSTAN_RC_SKIP);
  EXPECT_EQ(p.Authenticate(req.BearerToken("secret-admin2").get()).rc, CAPSTAN_RC_SKIP);
}

TEST_F(StaticTokenTest, AMissingFileFailsInit) {
  sdk::testing::FakeHost host;
  sdk::testing::TestPlugin<StaticTokenAuthn> p(host, R"({"tokenFile":"/nonexistent/tokens.csv"})");
  EXPECT_EQ(p.init().rc, CAPSTAN_RC_INVALID);
  EXPECT_NE(p.init().error.find("/nonexistent/tokens.csv"), std::string::npos);
}

}  // namespace
}  // namespace capstan::plugins
