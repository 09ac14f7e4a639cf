// Tests for sdk/include/capstan/sdk/status.h: factories, names and the early-return macro.
#include "capstan/sdk/status.h"

#include <gtest/gtest.h>

namespace capstan::sdk {
namespace {

TEST(StatusTest, DefaultIsOkWithoutMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), CAPSTAN_RC_OK);
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, FactoriesCarryTheirAbiCode) {
  struct Case {
    Status status;
    capstan_rc code;
    const char* name;
  };
  const Case cases[] = {
      {Status::Error("m"), CAPSTAN_RC_ERROR, "error"},
      {Status::Invalid("m"), CAPSTAN_RC_INVALID, "invalid"},
      {Status::Denied("m"), CAPSTAN_RC_DENIED, "denied"},
      {Status::Unschedulable("m"), CAPSTAN_RC_UNSCHEDULABLE, "unschedulable"},
      {Status::Unresolvable("m"), CAPSTAN_RC_UNRESOLVABLE, "unresolvable"},
      {Status::Skip("m"), CAPSTAN_RC_SKIP, "skip"},
      {Status::Wait("m"), CAPSTAN_RC_WAIT, "wait"},
      {Status::RetryLater("m"), CAPSTAN_RC_RETRY_LATER, "retry_later"},
      {Status::Unavailable("m"), CAPSTAN_RC_UNAVAILABLE, "unavailable"},
      {Status::Unimplemented("m"), CAPSTAN_RC_UNIMPLEMENTED, "unimplemented"},
      {Status::NotFound("m"), CAPSTAN_RC_NOT_FOUND, "not_found"},
      {Status::AlreadyExists("m"), CAPSTAN_RC_ALREADY_EXISTS, "already_exists"},
      {Status::DeadlineExceeded("m"), CAPSTAN_RC_DEADLINE_EXCEEDED, "deadline_exceeded"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), c.code) << c.name;
    EXPECT_FALSE(c.status.ok()) << c.name;
    EXPECT_EQ(c.status.message(), "m");
    EXPECT_EQ(c.status.ToString(), std::string(c.name) + ": m");
  }
}

TEST(StatusTest, RetryHintIsKeptForRetryLaterAndUnavailable) {
  EXPECT_EQ(Status::RetryLater("busy", 250).retry_after_ms(), 250u);
  EXPECT_EQ(Status::Unavailable("down", 5000).retry_after_ms(), 5000u);
  EXPECT_EQ(Status::Error("x").retry_after_ms(), 0u);
}

TEST(StatusTest, PluginDefinedAndUnknownCodesHaveNames) {
  EXPECT_EQ(RcName(CAPSTAN_RC_PLUGIN_DEFINED + 7), "plugin_defined");
  EXPECT_EQ(RcName(55), "unknown");
  EXPECT_EQ(Status(CAPSTAN_RC_PLUGIN_DEFINED, "mine").ToString(), "plugin_defined: mine");
}

TEST(StatusTest, EqualityComparesCodeMessageAndHint) {
  EXPECT_EQ(Status::Denied("a"), Status::Denied("a"));
  EXPECT_NE(Status::Denied("a"), Status::Denied("b"));
  EXPECT_NE(Status::RetryLater("a", 1), Status::RetryLater("a", 2));
}

Status FailsAtStep(int failing, int* reached) {
  for (int i = 0; i < 3; ++i) {
    *reached = i;
    CAPSTAN_SDK_RETURN_IF_ERROR(i == failing ? Status::Invalid("step") : Status::Ok());
  }
  return Status::Ok();
}

TEST(StatusTest, ReturnIfErrorStopsAtTheFirstFailure) {
  int reached = -1;
  EXPECT_EQ(FailsAtStep(1, &reached).code(), CAPSTAN_RC_INVALID);
  EXPECT_EQ(reached, 1);
  EXPECT_TRUE(FailsAtStep(-1, &reached).ok());
  EXPECT_EQ(reached, 2);
}

}  // namespace
}  // namespace capstan::sdk
