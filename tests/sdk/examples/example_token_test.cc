// Tests for sdk/examples/example-token (authn): tokens from config map to users; unknown tokens
// are someone else's (SKIP); disabled ones are DENIED. Driven through the C vtable.
#include <gtest/gtest.h>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"
#include "sdk/examples/example-token/token_authn.h"
#include "tests/sdk/examples/schema_check.h"

namespace capstan::examples {
namespace {

using sdk::testing::AuthnRequestBuilder;
using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;

constexpr char kConfig[] = R"({"tokens":[
  {"token":"alice-secret-1","username":"alice","uid":"1001","groups":["dev","ops"]},
  {"token":"bob-secret-22","username":"bob","disabled":true}]})";

TEST(ExampleTokenTest, ConfigsAreCheckedAgainstTheSchema) {
  EXPECT_EQ(testing::SchemaErrors(kTokenAuthnSchema, kConfig), "");
  EXPECT_EQ(testing::SchemaErrors(kTokenAuthnSchema, "{}"), "");
  EXPECT_NE(
      testing::SchemaErrors(kTokenAuthnSchema, R"({"tokens":[{"token":"short","username":"x"}]})"),
      "");
  EXPECT_NE(testing::SchemaErrors(kTokenAuthnSchema, R"({"tokens":[{"username":"x"}]})"), "");
}

TEST(ExampleTokenTest, AKnownTokenAuthenticatesItsUser) {
  FakeHost host;
  TestPlugin<TokenAuthn> p(host, kConfig);
  ASSERT_TRUE(p.init().ok()) << p.init().error;
  AuthnRequestBuilder req;
  Outcome o = p.Authenticate(req.BearerToken("alice-secret-1").get());
  ASSERT_TRUE(o.ok()) << o.error;
  auto user = sdk::json::Parse(o.output);
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ((*user)["username"], "alice");
  EXPECT_EQ((*user)["uid"], "1001");
  EXPECT_EQ((*user)["groups"], sdk::json::Json::array({"dev", "ops"}));
  EXPECT_EQ(host.MetricValue("authenticated_total"), 1);
}

TEST(ExampleTokenTest, UnknownOrMissingTokensAreLeftToOtherAuthenticators) {
  FakeHost host;
  TestPlugin<TokenAuthn> p(host, kConfig);
  AuthnRequestBuilder req;
  EXPECT_EQ(p.Authenticate(req.get()).rc, CAPSTAN_RC_SKIP);
  EXPECT_EQ(p.Authenticate(req.BearerToken("eyJhbGciOi.jwt.sig").get()).rc, CAPSTAN_RC_SKIP);
  EXPECT_EQ(p.Authenticate(req.BearerToken("alice-secret-").get()).rc, CAPSTAN_RC_SKIP);
  EXPECT_EQ(p.Authenticate(req.BearerToken("alice-secret-12").get()).rc, CAPSTAN_RC_SKIP);
}

TEST(ExampleTokenTest, ADisabledTokenIsDenied) {
  FakeHost host;
  TestPlugin<TokenAuthn> p(host, kConfig);
  AuthnRequestBuilder req;
  Outcome o = p.Authenticate(req.BearerToken("bob-secret-22").get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_DENIED);
  EXPECT_EQ(o.error, "token is disabled");
  EXPECT_EQ(o.output, "");
  EXPECT_EQ(host.MetricValue("denied_total"), 1);
}

TEST(ExampleTokenTest, ConfigRulesBeyondTheSchemaAreEnforced) {
  FakeHost host;
  TestPlugin<TokenAuthn> dup(
      host,
      R"({"tokens":[{"token":"same-token","username":"a"},{"token":"same-token","username":"b"}]})");
  EXPECT_EQ(dup.init().rc, CAPSTAN_RC_INVALID);
  EXPECT_EQ(dup.init().error, "tokens[]: duplicate token for user b");
  FakeHost host2;
  TestPlugin<TokenAuthn> garbage(host2, "not json");
  EXPECT_EQ(garbage.init().rc, CAPSTAN_RC_INVALID);
}

TEST(ExampleTokenTest, WorksWithoutAnyHostServices) {
  FakeHost host;
  for (const char* s :
       {"capstan_host_log_v1", "capstan_host_metric_define_v1", "capstan_host_metric_record_v1"}) {
    host.RemoveService(s);
  }
  TestPlugin<TokenAuthn> p(host, kConfig);
  ASSERT_TRUE(p.init().ok());
  AuthnRequestBuilder req;
  EXPECT_TRUE(p.Authenticate(req.BearerToken("alice-secret-1").get()).ok());
}

}  // namespace
}  // namespace capstan::examples
