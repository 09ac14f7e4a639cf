// Tests for the agent metrics text reader and metrics-server arithmetic (metrics_text.h):
// parsing the kubelet format, CPU rates between scrapes, and quantity formatting.
#include "core/apiserver/metrics_text.h"

#include <gtest/gtest.h>

namespace capstan::apiserver {
namespace {

constexpr char kScrape[] = R"(# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{container="web",namespace="default",pod="web-1"} 12.5 1700000001000
container_cpu_usage_seconds_total{container="side car",namespace="default",pod="we\"b\\2"} 1e-3 1700000001000
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{container="web",namespace="default",pod="web-1"} 1.048576e+06 1700000001500
node_cpu_usage_seconds_total 4000.000000001 1700000002000
node_memory_working_set_bytes 2048
pod_cpu_usage_seconds_total{namespace="default",pod="web-1"} 12.5 1700000001000
scrape_error 0
)";

TEST(MetricsTextTest, ParsesNodeAndContainerSamplesWithTheirTimestamps) {
  Result<ResourceScrape> s = ParseResourceMetrics(kScrape, 42);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->node.has_cpu);
  EXPECT_DOUBLE_EQ(s->node.cpu_seconds, 4000.000000001);
  EXPECT_EQ(s->node.cpu_timestamp_ms, 1700000002000);
  EXPECT_DOUBLE_EQ(s->node.memory_bytes, 2048);
  EXPECT_EQ(s->node.memory_timestamp_ms, 42) << "no timestamp: the scrape time";
  ASSERT_EQ(s->containers.size(), 2u);
  const UsagePoint& web = s->containers.at({"default", "web-1", "web"});
  EXPECT_DOUBLE_EQ(web.cpu_seconds, 12.5);
  EXPECT_DOUBLE_EQ(web.memory_bytes, 1048576);
  EXPECT_EQ(web.memory_timestamp_ms, 1700000001500);
  const UsagePoint& escaped = s->containers.at({"default", "we\"b\\2", "side car"});
  EXPECT_DOUBLE_EQ(escaped.cpu_seconds, 0.001);
  EXPECT_FALSE(escaped.has_memory);
}

TEST(MetricsTextTest, RejectsMalformedSampleLines) {
  for (const char* bad :
       {"node_cpu_usage_seconds_total abc 1\n", "container_cpu_usage_seconds_total{pod=\"x 1 2\n",
        "container_cpu_usage_seconds_total{pod=x} 1\n"}) {
    EXPECT_FALSE(ParseResourceMetrics(bad, 0).ok()) << bad;
  }
  EXPECT_TRUE(ParseResourceMetrics("\n# only comments\n\n", 0).ok());
}

TEST(MetricsTextTest, CpuIsTheRateBetweenTwoPointsAndMemoryTheLatest) {
  UsagePoint a{true, 10.0, 1000, true, 100, 1000};
  UsagePoint b{true, 10.25, 2000, true, 300, 2000};
  std::optional<Usage> u = UsageBetween(a, b);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->nanocores, 250'000'000u);
  EXPECT_EQ(u->memory_bytes, 300u);
  EXPECT_EQ(u->timestamp_ms, 2000);
  EXPECT_EQ(u->window_ms, 1000);
}

TEST(MetricsTextTest, NoUsageWithoutAdvancingTimeOrWhenTheCounterWentDown) {
  UsagePoint a{true, 10.0, 1000, true, 100, 1000};
  struct Case {
    const char* name;
    UsagePoint later;
  };
  const Case cases[] = {
      {"same timestamp", {true, 11.0, 1000, true, 100, 1000}},
      {"counter reset (restart)", {true, 1.0, 2000, true, 100, 2000}},
      {"no cpu", {false, 0, 0, true, 100, 2000}},
      {"no memory", {true, 11.0, 2000, false, 0, 0}},
  };
  for (const Case& c : cases) EXPECT_FALSE(UsageBetween(a, c.later).has_value()) << c.name;
}

TEST(MetricsTextTest, QuantitiesUseTheLargestExactSuffix) {
  EXPECT_EQ(CpuQuantity(0), "0");
  EXPECT_EQ(CpuQuantity(2'000'000'000), "2");
  EXPECT_EQ(CpuQuantity(250'000'000), "250m");
  EXPECT_EQ(CpuQuantity(1'500), "1500n");
  EXPECT_EQ(CpuQuantity(123'456'789), "123456789n");
  EXPECT_EQ(CpuQuantity(7'000), "7u");
  EXPECT_EQ(MemoryQuantity(0), "0");
  EXPECT_EQ(MemoryQuantity(1048576), "1Mi");
  EXPECT_EQ(MemoryQuantity(3 * 1024), "3Ki");
  EXPECT_EQ(MemoryQuantity(1000), "1000");
}

}  // namespace
}  // namespace capstan::apiserver
