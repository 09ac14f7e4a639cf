// Tests for the always-allow authz plugin.
#include "always_allow.h"

#include <gtest/gtest.h>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"

namespace capstan::plugins {
namespace {

TEST(AlwaysAllowTest, AllowsEveryRequestWithAReason) {
  sdk::testing::FakeHost host;
  sdk::testing::TestPlugin<AlwaysAllow> p(host, "{}");
  ASSERT_TRUE(p.init().ok());
  sdk::testing::AuthzAttributesBuilder attrs;
  sdk::testing::Outcome o = p.Authorize(attrs.get());
  EXPECT_TRUE(o.ok());
  EXPECT_EQ(o.output, "always-allow");
}

}  // namespace
}  // namespace capstan::plugins
