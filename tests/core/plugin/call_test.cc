// Tests for core/plugin/call.h: error buffers, deadlines, cancellation and outcome conversion.
#include "core/plugin/call.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

namespace capstan::plugin {
namespace {

using ::testing::HasSubstr;

TEST(CallTest, ErrorBufferIsAtLeast256BytesAndTerminatedByTheHost) {
  CallOptions options;
  options.error_cap = 10;
  CallContext ctx(options);
  capstan_call* call = ctx.raw();
  EXPECT_EQ(call->struct_size, sizeof(capstan_call));
  ASSERT_EQ(call->error_cap, 256u);
  std::memset(call->error_buf, 'x', call->error_cap);  // no terminator
  CallOutcome out = ctx.Finish(CAPSTAN_RC_ERROR, false);
  EXPECT_EQ(out.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(out.message, std::string(255, 'x'));
}

TEST(CallTest, ErrorTextIsIgnoredOnOk) {
  CallContext ctx;
  std::strcpy(ctx.raw()->error_buf, "stale");
  EXPECT_EQ(ctx.Finish(CAPSTAN_RC_OK, false).message, "");
}

TEST(CallTest, PluginDefinedAndUnknownCodesBecomeErrorKeepingTheCode) {
  struct Case {
    capstan_rc rc;
    const char* want;
  };
  for (const Case& c :
       {Case{104, "plugin-defined return code 104: why"}, Case{42, "unknown return code 42: why"},
        Case{-1, "unknown return code -1: why"}}) {
    CallContext ctx;
    std::strcpy(ctx.raw()->error_buf, "why");
    CallOutcome out = ctx.Finish(c.rc, false);
    EXPECT_EQ(out.rc, CAPSTAN_RC_ERROR);
    EXPECT_EQ(out.message, c.want);
  }
}

TEST(CallTest, ExceptionIsReportedAsThrownAcrossTheAbi) {
  CallContext ctx;
  CallOutcome out = ctx.Finish(CAPSTAN_RC_OK, /*threw=*/true);
  EXPECT_EQ(out.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(out.message, "plugin threw across the ABI");
}

TEST(CallTest, RetryHintIsCarriedOver) {
  CallContext ctx;
  ctx.raw()->retry_after_ms = 250;
  EXPECT_EQ(ctx.Finish(CAPSTAN_RC_RETRY_LATER, false).retry_after_ms, 250u);
}

TEST(CallTest, HandleReportsCancellationAndPassedDeadlines) {
  CancelToken token;
  CallOptions options;
  options.cancel = &token;
  CallContext ctx(options);
  const auto* handle = CallContext::FromHandle(ctx.raw()->handle);
  EXPECT_FALSE(handle->Cancelled());
  token.Cancel();
  EXPECT_TRUE(handle->Cancelled());

  CallOptions past;
  past.deadline_mono_ns = MonotonicNowNs() - 1;
  CallContext late(past);
  EXPECT_EQ(late.raw()->deadline_mono_ns, past.deadline_mono_ns);
  EXPECT_TRUE(CallContext::FromHandle(late.raw()->handle)->Cancelled());
}

TEST(CallTest, TimeoutIsCappedByTheOuterDeadline) {
  int64_t now = MonotonicNowNs();
  CallOptions o = CallOptions::WithTimeout(60'000'000'000, now + 1'000'000);
  EXPECT_EQ(o.deadline_mono_ns, now + 1'000'000);
  CallOptions unbounded = CallOptions::WithTimeout(0, 0);
  EXPECT_EQ(unbounded.deadline_mono_ns, 0);
  CallOptions plain = CallOptions::WithTimeout(1'000'000'000);
  EXPECT_GE(plain.deadline_mono_ns, now + 1'000'000'000);
}

TEST(CallTest, OutcomeMapsToStatusCodesWithSourceAndCodeName) {
  struct Case {
    capstan_rc rc;
    StatusCode code;
  };
  const Case cases[] = {
      {CAPSTAN_RC_ERROR, StatusCode::kInternal},
      {CAPSTAN_RC_INVALID, StatusCode::kInvalid},
      {CAPSTAN_RC_DENIED, StatusCode::kForbidden},
      {CAPSTAN_RC_UNAVAILABLE, StatusCode::kUnavailable},
      {CAPSTAN_RC_NOT_FOUND, StatusCode::kNotFound},
      {CAPSTAN_RC_DEADLINE_EXCEEDED, StatusCode::kTimeout},
      {CAPSTAN_RC_UNIMPLEMENTED, StatusCode::kUnimplemented},
  };
  for (const Case& c : cases) {
    CallOutcome out{c.rc, "text", "plugin 'p' instance 'i' on_x", 0};
    Status s = out.ToStatus();
    EXPECT_EQ(s.code(), c.code) << RcName(c.rc);
    EXPECT_EQ(s.message(), "plugin 'p' instance 'i' on_x: " + RcName(c.rc) + ": text");
  }
  EXPECT_TRUE(CallOutcome{}.ToStatus().ok());
}

TEST(CallTest, OutputWithLengthButNullDataIsMalformed) {
  EXPECT_TRUE(CheckOutput({nullptr, 0}, "x").ok());
  Status s = CheckOutput({nullptr, 5}, "on_authenticate");
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("length 5 with NULL data"));
}

TEST(CallTest, RcNamesCoverKnownAndUnknownCodes) {
  EXPECT_EQ(RcName(CAPSTAN_RC_UNSCHEDULABLE), "UNSCHEDULABLE");
  EXPECT_EQ(RcName(150), "PLUGIN_DEFINED(150)");
  EXPECT_EQ(RcName(50), "UNKNOWN(50)");
}

}  // namespace
}  // namespace capstan::plugin
