// Tests for core/image/pull_policy.h: upstream's defaulting rule and policy decisions.
#include "core/image/pull_policy.h"

#include <gtest/gtest.h>

namespace capstan::image {
namespace {

struct DefaultCase {
  std::string image;
  PullPolicy want;
};

class DefaultPullPolicyIs : public ::testing::TestWithParam<DefaultCase> {};

TEST_P(DefaultPullPolicyIs, AsUpstreamDefaultsIt) {
  EXPECT_EQ(DefaultPullPolicy(GetParam().image), GetParam().want) << GetParam().image;
}

INSTANTIATE_TEST_SUITE_P(
    Table, DefaultPullPolicyIs,
    ::testing::Values(
        DefaultCase{"busybox", PullPolicy::kAlways},
        DefaultCase{"busybox:latest", PullPolicy::kAlways},
        DefaultCase{"reg:5000/a/b", PullPolicy::kAlways},
        DefaultCase{"nginx:1.25", PullPolicy::kIfNotPresent},
        DefaultCase{
            "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            PullPolicy::kIfNotPresent},
        DefaultCase{"busybox:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef01234567"
                    "89abcdef",
                    PullPolicy::kAlways},
        DefaultCase{"NOT A REF", PullPolicy::kIfNotPresent}));

TEST(PullPolicy, ParsesTheThreeApiValuesOnly) {
  EXPECT_EQ(*ParsePullPolicy("Always"), PullPolicy::kAlways);
  EXPECT_EQ(*ParsePullPolicy("IfNotPresent"), PullPolicy::kIfNotPresent);
  EXPECT_EQ(*ParsePullPolicy("Never"), PullPolicy::kNever);
  EXPECT_EQ(ParsePullPolicy("always").status().code(), StatusCode::kInvalid);
  EXPECT_EQ(PullPolicyName(PullPolicy::kIfNotPresent), "IfNotPresent");
}

TEST(PullPolicy, ShouldPullFollowsThePolicyAndPresence) {
  EXPECT_TRUE(ShouldPull(PullPolicy::kAlways, true));
  EXPECT_TRUE(ShouldPull(PullPolicy::kIfNotPresent, false));
  EXPECT_FALSE(ShouldPull(PullPolicy::kIfNotPresent, true));
  EXPECT_FALSE(ShouldPull(PullPolicy::kNever, false));
}

}  // namespace
}  // namespace capstan::image
