// Tests for the anonymous authn plugin.
#include "anonymous_authn.h"

#include <gtest/gtest.h>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"

namespace capstan::plugins {
namespace {

TEST(AnonymousAuthnTest, RequestsWithoutCredentialsBecomeSystemAnonymous) {
  sdk::testing::FakeHost host;
  sdk::testing::TestPlugin<AnonymousAuthn> p(host, "{}");
  ASSERT_TRUE(p.init().ok());
  sdk::testing::AuthnRequestBuilder req;
  sdk::testing::Outcome o = p.Authenticate(req.get());
  ASSERT_TRUE(o.ok());
  auto user = sdk::json::Parse(o.output);
  EXPECT_EQ((*user)["username"], "system:anonymous");
  EXPECT_EQ((*user)["groups"], sdk::json::Json::array({"system:unauthenticated"}));
}

TEST(AnonymousAuthnTest, AnUnacceptedTokenIsRejectedUnlessConfiguredOtherwise) {
  sdk::testing::FakeHost host;
  sdk::testing::TestPlugin<AnonymousAuthn> strict(host, "{}");
  sdk::testing::AuthnRequestBuilder req;
  EXPECT_EQ(strict.Authenticate(req.BearerToken("wrong").get()).rc, CAPSTAN_RC_DENIED);
  sdk::testing::TestPlugin<AnonymousAuthn> lax(host, R"({"rejectPresentedCredentials":false})");
  EXPECT_TRUE(lax.Authenticate(req.BearerToken("wrong").get()).ok());
}

}  // namespace
}  // namespace capstan::plugins
