// Tests for sdk/examples/example-groups (authz): allowed groups may do anything, read-only groups
// may read, everyone else gets no opinion or, with denyOthers, a deny.
#include <gtest/gtest.h>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"
#include "sdk/examples/example-groups/groups_authz.h"
#include "tests/sdk/examples/schema_check.h"

namespace capstan::examples {
namespace {

using sdk::testing::AuthzAttributesBuilder;
using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;

constexpr char kConfig[] = R"({"allowedGroups":["system:masters"],"readOnlyGroups":["viewers"]})";
constexpr char kStrict[] =
    R"({"allowedGroups":["system:masters"],"readOnlyGroups":["viewers"],"denyOthers":true})";

TEST(ExampleGroupsTest, ConfigsAreCheckedAgainstTheSchema) {
  EXPECT_EQ(testing::SchemaErrors(kGroupsAuthzSchema, kConfig), "");
  EXPECT_EQ(testing::SchemaErrors(kGroupsAuthzSchema, kStrict), "");
  EXPECT_NE(testing::SchemaErrors(kGroupsAuthzSchema, R"({"allowedGroups":"admins"})"), "");
  EXPECT_NE(testing::SchemaErrors(kGroupsAuthzSchema, R"({"denyOther":true})"), "");
}

TEST(ExampleGroupsTest, DecisionsFollowGroupsAndVerbs) {
  struct Case {
    const char* config;
    const char* group;
    const char* verb;
    capstan_rc want;
    const char* reason;
  };
  const Case cases[] = {
      {kConfig, "system:masters", "delete", CAPSTAN_RC_OK, "group system:masters is allowed"},
      {kConfig, "viewers", "list", CAPSTAN_RC_OK, "group viewers may read"},
      {kConfig, "viewers", "update", CAPSTAN_RC_DENIED, "group viewers is read-only"},
      {kConfig, "dev", "get", CAPSTAN_RC_SKIP, ""},
      {kStrict, "dev", "get", CAPSTAN_RC_DENIED, "user alice is in no allowed group"},
  };
  for (const Case& c : cases) {
    FakeHost host;
    TestPlugin<GroupsAuthz> p(host, c.config);
    ASSERT_TRUE(p.init().ok());
    AuthzAttributesBuilder attrs;
    attrs.User("alice").Group("system:authenticated").Group(c.group).Verb(c.verb);
    Outcome o = p.Authorize(attrs.get());
    EXPECT_EQ(o.rc, c.want) << c.group << " " << c.verb;
    EXPECT_EQ(o.output, c.reason) << c.group << " " << c.verb;
  }
}

TEST(ExampleGroupsTest, AnEmptyConfigWarnsAndHasNoOpinion) {
  FakeHost host;
  TestPlugin<GroupsAuthz> p(host, "{}");
  ASSERT_TRUE(p.init().ok());
  EXPECT_TRUE(host.HasLog("no groups configured"));
  AuthzAttributesBuilder attrs;
  EXPECT_EQ(p.Authorize(attrs.Group("system:masters").get()).rc, CAPSTAN_RC_SKIP);
}

}  // namespace
}  // namespace capstan::examples
