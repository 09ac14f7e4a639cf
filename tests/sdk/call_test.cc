// Tests for sdk/include/capstan/sdk/call.h: deadline and cancellation, with and without the
// host's cancellation service, and the call-bound API client.
#include "capstan/sdk/call.h"

#include <gtest/gtest.h>

#include "capstan/sdk/testing/fake_host.h"

namespace capstan::sdk {
namespace {

using testing::FakeCall;
using testing::FakeHost;

TEST(CallTest, ACallWithoutDeadlineIsNotCancelled) {
  FakeHost fake;
  Host host(fake.host());
  FakeCall raw;
  Call call(raw.get(), host);
  EXPECT_EQ(call.deadline_mono_ns(), 0);
  EXPECT_FALSE(call.Cancelled());
}

TEST(CallTest, HostCancellationIsSeen) {
  FakeHost fake;
  Host host(fake.host());
  FakeCall raw;
  Call call(raw.get(), host);
  raw.Cancel();
  EXPECT_TRUE(call.Cancelled());
}

TEST(CallTest, APassedDeadlineCancelsEvenWithoutTheHostService) {
  FakeHost fake;
  fake.RemoveService("capstan_host_call_cancelled_v1");
  Host host(fake.host());
  FakeCall past(Call::MonotonicNowNs() - 1);
  EXPECT_TRUE(Call(past.get(), host).Cancelled());
  FakeCall future(Call::MonotonicNowNs() + int64_t{3600} * 1000000000);
  EXPECT_FALSE(Call(future.get(), host).Cancelled());
}

TEST(CallTest, ANullRawCallHasNoDeadline) {
  Host host;
  Call call(nullptr, host);
  EXPECT_EQ(call.deadline_mono_ns(), 0);
  EXPECT_FALSE(call.Cancelled());
  ApiResponse r;
  EXPECT_EQ(call.ApiGet("/api", &r).code(), CAPSTAN_RC_UNAVAILABLE);
}

TEST(CallTest, ApiRequestGoesThroughTheHost) {
  FakeHost fake;
  fake.SetApiResponse("GET", "/version", 200, R"({"major":"1"})");
  Host host(fake.host());
  FakeCall raw;
  Call call(raw.get(), host);
  ApiResponse r;
  ASSERT_TRUE(call.ApiGet("/version", &r).ok());
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.body, R"({"major":"1"})");
}

}  // namespace
}  // namespace capstan::sdk
