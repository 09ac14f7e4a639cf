// Tests for core/plugin/metrics.h: series semantics and Prometheus text exposition.
#include "core/plugin/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace capstan::plugin {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, ExpositionShowsCountersGaugesAndHistograms) {
  MetricsRegistry registry;
  auto c =
      registry.Define("capstan_plugin_x_requests_total", "Requests.", MetricType::kCounter, "a");
  auto g = registry.Define("capstan_plugin_x_queue", "Queue \\ length.", MetricType::kGauge, "a");
  auto h =
      registry.Define("capstan_plugin_x_latency_seconds", "Latency.", MetricType::kHistogram, "a");
  ASSERT_TRUE(c.ok() && g.ok() && h.ok());
  (*c)->Record(2);
  (*c)->Record(1.5);
  (*c)->Record(-4);  // counters never go down
  (*g)->Record(7);
  (*g)->Record(3);
  (*h)->Record(0.00390625);
  (*h)->Record(0.125);
  (*h)->Record(42);
  const std::string want =
      "# HELP capstan_plugin_x_latency_seconds Latency.\n"
      "# TYPE capstan_plugin_x_latency_seconds histogram\n"
      "capstan_plugin_x_latency_seconds_bucket{instance=\"a\",le=\"0.005\"} 1\n"
      "capstan_plugin_x_latency_seconds_bucket{instance=\"a\",le=\"0.01\"} 1\n"
      "capstan_plugin_x_latency_seconds_bucket{instance=\"a\",le=\"0.025\"} 1\n"
      "capstan_plugin_x_latency_seconds_bucket{instance=\"a\",le=\"0.05\"} 1\n"
      "capstan_plugin_x_latency_seconds_bucket{instance=\"a\",le=\"0.1\"} 1\n"
      "capstan_plugin_x_latency_seconds_bucket{instance=\"a\",le=\"0.25\"} 2\n"
      "capstan_plugin_x_latency_seconds_bucket{instance=\"a\",le=\"0.5\"} 2\n"
      "capstan_plugin_x_latency_seconds_bucket{instance=\"a\",le=\"1\"} 2\n"
      "capstan_plugin_x_latency_seconds_bucket{instance=\"a\",le=\"2.5\"} 2\n"
      "capstan_plugin_x_latency_seconds_bucket{instance=\"a\",le=\"5\"} 2\n"
      "capstan_plugin_x_latency_seconds_bucket{instance=\"a\",le=\"10\"} 2\n"
      "capstan_plugin_x_latency_seconds_bucket{instance=\"a\",le=\"+Inf\"} 3\n"
      "capstan_plugin_x_latency_seconds_sum{instance=\"a\"} 42.12890625\n"
      "capstan_plugin_x_latency_seconds_count{instance=\"a\"} 3\n"
      "# HELP capstan_plugin_x_queue Queue \\\\ length.\n"
      "# TYPE capstan_plugin_x_queue gauge\n"
      "capstan_plugin_x_queue{instance=\"a\"} 3\n"
      "# HELP capstan_plugin_x_requests_total Requests.\n"
      "# TYPE capstan_plugin_x_requests_total counter\n"
      "capstan_plugin_x_requests_total{instance=\"a\"} 3.5\n";
  EXPECT_EQ(registry.Exposition(), want);
}

TEST(MetricsTest, InstancesShareAFamilyWithTheirOwnLabel) {
  MetricsRegistry registry;
  auto a = registry.Define("m_total", "H.", MetricType::kCounter, "a");
  auto b = registry.Define("m_total", "H.", MetricType::kCounter, "b\"q");
  ASSERT_TRUE(a.ok() && b.ok());
  (*b)->Record(1);
  std::string text = registry.Exposition();
  EXPECT_THAT(text, HasSubstr("m_total{instance=\"a\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("m_total{instance=\"b\\\"q\"} 1\n"));
  registry.Remove("m_total", "a");
  EXPECT_THAT(registry.Exposition(), ::testing::Not(HasSubstr("instance=\"a\"")));
  registry.Remove("m_total", "b\"q");
  EXPECT_EQ(registry.Exposition(), "");
}

TEST(MetricsTest, ConflictingOrDuplicateDefinitionsAreRefused) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.Define("m", "H.", MetricType::kCounter, "a").ok());
  EXPECT_EQ(registry.Define("m", "H.", MetricType::kCounter, "a").status().code(),
            StatusCode::kInvalid);
  EXPECT_FALSE(registry.Define("m", "H.", MetricType::kGauge, "b").ok());
  EXPECT_FALSE(registry.Define("m", "Other.", MetricType::kCounter, "b").ok());
  EXPECT_FALSE(registry.Define("9m", "H.", MetricType::kCounter, "a").ok());
  EXPECT_FALSE(registry.Define("m-x", "H.", MetricType::kCounter, "a").ok());
}

TEST(MetricsTest, PluginPrefixMapsPunctuationToUnderscores) {
  EXPECT_EQ(PluginMetricPrefix("csi-host.path"), "capstan_plugin_csi_host_path_");
}

}  // namespace
}  // namespace capstan::plugin
