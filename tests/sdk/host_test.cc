// Tests for sdk/include/capstan/sdk/host.h: service resolution, graceful degradation when the
// host lacks a service, metrics, posted work (including tasks the host drops), object access.
#include "capstan/sdk/host.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

#include "capstan/sdk/testing/fake_host.h"

namespace capstan::sdk {
namespace {

using testing::FakeHost;

TEST(HostTest, HostWithoutTableTurnsEveryServiceIntoNoOpOrUnavailable) {
  for (const Host* host : {new Host(), new Host(nullptr)}) {
    std::unique_ptr<const Host> owned(host);
    host->Info("nobody listens");
    Metric m;
    EXPECT_EQ(host->DefineMetric("x", "h", MetricType::kCounter, &m).code(),
              CAPSTAN_RC_UNAVAILABLE);
    EXPECT_FALSE(m.valid());
    m.Record(1);
    EXPECT_FALSE(host->Counter("x", "h").valid());
    EXPECT_EQ(host->Post([] {}).code(), CAPSTAN_RC_UNAVAILABLE);
    std::string out = "stale";
    EXPECT_EQ(host->CacheGet("/v1/pods", "a/b", &out).code(), CAPSTAN_RC_UNAVAILABLE);
    EXPECT_EQ(out, "");
    EXPECT_EQ(host->CacheList("/v1/pods", "", "", &out).code(), CAPSTAN_RC_UNAVAILABLE);
    int32_t status = -1;
    EXPECT_EQ(host->ApiRequest(nullptr, "GET", "/api", "", "", &status, &out).code(),
              CAPSTAN_RC_UNAVAILABLE);
    EXPECT_EQ(status, 0);
    EXPECT_FALSE(host->CallCancelled(nullptr));
    EXPECT_FALSE(host->has_log() || host->has_metrics() || host->has_post() || host->has_cache() ||
                 host->has_api());
  }
}

TEST(HostTest, ResolvesEveryServiceTheHostOffers) {
  FakeHost fake;
  Host host(fake.host());
  EXPECT_TRUE(host.has_log() && host.has_metrics() && host.has_post() && host.has_cache() &&
              host.has_api());
  EXPECT_NE(host.sched_cycle_read(), nullptr);
  EXPECT_NE(host.sched_node_pods(), nullptr);
  host.Log(LogLevel::kWarn, "careful", R"({"k":"v"})");
  ASSERT_EQ(fake.logs().size(), 1u);
  EXPECT_EQ(fake.logs()[0].level, CAPSTAN_LOG_WARN);
  EXPECT_EQ(fake.logs()[0].message, "careful");
  EXPECT_EQ(fake.logs()[0].fields_json, R"({"k":"v"})");
}

TEST(HostTest, AMissingServiceDegradesOnlyThatService) {
  FakeHost fake;
  fake.RemoveService("capstan_host_log_v1");
  fake.RemoveService("capstan_host_post_v1");
  Host host(fake.host());
  EXPECT_FALSE(host.has_log());
  EXPECT_FALSE(host.has_post());
  EXPECT_TRUE(host.has_metrics());
  host.Error("dropped");
  EXPECT_TRUE(fake.logs().empty());
  EXPECT_EQ(host.Post([] {}).code(), CAPSTAN_RC_UNAVAILABLE);
}

TEST(HostTest, MetricsAreDefinedDuringInitAndRecordedById) {
  FakeHost fake;
  Host host(fake.host());
  Metric requests = host.Counter("requests_total", "Requests");
  Metric depth = host.Gauge("queue_depth", "Depth");
  Metric latency = host.Histogram("latency_seconds", "Latency");
  ASSERT_TRUE(requests.valid() && depth.valid() && latency.valid());
  requests.Record(1);
  requests.Record(2);
  depth.Record(7);
  depth.Record(4);
  latency.Record(0.5);
  EXPECT_EQ(fake.MetricValue("requests_total"), 3);
  EXPECT_EQ(fake.MetricValue("queue_depth"), 4);
  EXPECT_EQ(fake.Observations("latency_seconds"), std::vector<double>{0.5});

  Metric dup;
  EXPECT_EQ(host.DefineMetric("requests_total", "again", MetricType::kCounter, &dup).code(),
            CAPSTAN_RC_INVALID);
  EXPECT_FALSE(host.Counter("Bad-Name", "h").valid());
  EXPECT_TRUE(fake.HasLog("Bad-Name"));  // the shorthand warns about a rejected definition
  fake.EndInit();
  EXPECT_EQ(host.DefineMetric("late", "h", MetricType::kGauge, &dup).code(),
            CAPSTAN_RC_UNAVAILABLE);
}

TEST(HostTest, PostedWorkRunsInlineOrWhenTheHostGetsToIt) {
  FakeHost fake;
  Host host(fake.host());
  int runs = 0;
  ASSERT_TRUE(host.Post([&] { ++runs; }).ok());
  EXPECT_EQ(runs, 1);

  fake.set_post_mode(FakeHost::PostMode::kManual);
  ASSERT_TRUE(host.Post([&] { ++runs; }, /*delay_ms=*/50).ok());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(fake.RunPosted(), 1u);
  EXPECT_EQ(runs, 2);
}

TEST(HostTest, AnExceptionInPostedWorkIsLoggedNotPropagated) {
  FakeHost fake;
  Host host(fake.host());
  ASSERT_TRUE(host.Post([] { throw std::runtime_error("kaput"); }).ok());
  EXPECT_TRUE(fake.HasLog("posted task threw: kaput"));
}

TEST(HostTest, ARefusedTaskNeverRunsAndIsFreedAtOnce) {
  FakeHost fake;
  fake.ShutDown();
  Host host(fake.host());
  auto token = std::make_shared<int>(0);
  bool ran = false;
  EXPECT_EQ(host.Post([&ran, token] { ran = true; }).code(), CAPSTAN_RC_UNAVAILABLE);
  EXPECT_FALSE(ran);
  EXPECT_EQ(token.use_count(), 1);
}

TEST(HostTest, TasksTheHostDroppedAreFreedWhenTheInstanceGoes) {
  FakeHost fake;
  fake.set_post_mode(FakeHost::PostMode::kManual);
  auto token = std::make_shared<int>(0);
  {
    Host host(fake.host());
    ASSERT_TRUE(host.Post([token] {}).ok());
    EXPECT_EQ(token.use_count(), 2);
    fake.DropPosted();  // what a host may do before on_destroy
  }
  EXPECT_EQ(token.use_count(), 1);
}

TEST(HostTest, CacheReadsCopyOutOfTheHostBuffer) {
  FakeHost fake;
  fake.PutObject("/v1/configmaps", "a/one", R"({"n":1})", {{"app", "x"}});
  fake.PutObject("/v1/configmaps", "a/two", R"({"n":2})");
  fake.PutObject("/v1/configmaps", "b/three", R"({"n":3})", {{"app", "x"}});
  Host host(fake.host());
  std::string one;
  ASSERT_TRUE(host.CacheGet("/v1/configmaps", "a/one", &one).ok());
  std::string list;
  ASSERT_TRUE(host.CacheList("/v1/configmaps", "a", "", &list).ok());
  EXPECT_EQ(one, R"({"n":1})");  // still intact after the next object-access call
  EXPECT_EQ(list, R"([{"n":1},{"n":2}])");
  ASSERT_TRUE(host.CacheList("/v1/configmaps", "", "app=x", &list).ok());
  EXPECT_EQ(list, R"([{"n":1},{"n":3}])");
  EXPECT_EQ(host.CacheGet("/v1/configmaps", "a/zzz", &one).code(), CAPSTAN_RC_NOT_FOUND);
  EXPECT_EQ(host.CacheGet("/v1/secrets", "a/one", &one).code(), CAPSTAN_RC_UNAVAILABLE);
}

TEST(HostTest, ApiRequestReturnsStatusAndBodyAndIsRecorded) {
  FakeHost fake;
  fake.SetApiResponse("PATCH", "/api/v1/namespaces/a", 200, R"({"kind":"Namespace"})");
  Host host(fake.host());
  int32_t status = 0;
  std::string body;
  ASSERT_TRUE(host.ApiRequest(nullptr, "PATCH", "/api/v1/namespaces/a",
                              "application/merge-patch+json", "{}", &status, &body)
                  .ok());
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, R"({"kind":"Namespace"})");
  ASSERT_TRUE(host.ApiRequest(nullptr, "GET", "/api/v1/nodes", "", "", &status, &body).ok());
  EXPECT_EQ(status, 404);
  ASSERT_EQ(fake.api_calls().size(), 2u);
  EXPECT_EQ(fake.api_calls()[0].content_type, "application/merge-patch+json");
  EXPECT_EQ(fake.api_calls()[0].body, "{}");
}

}  // namespace
}  // namespace capstan::sdk
