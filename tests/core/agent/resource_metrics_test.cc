// Tests for the agent's /metrics/resource body (core/agent/resource_metrics.h): /proc readers on
// files in a temporary directory, runtime stats mapped to pods by their labels, and the text.
#include "core/agent/resource_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace capstan::agent {
namespace {

namespace fs = std::filesystem;

TEST(ResourceMetricsTest, NodeUsageComesFromProcStatAndMeminfo) {
  fs::path dir = fs::temp_directory_path() / ("resource-metrics-" + std::to_string(getpid()));
  fs::create_directories(dir);
  // user nice system idle iowait irq softirq steal guest guest_nice
  std::ofstream(dir / "stat") << "cpu  100 20 30 5000 70 1 2 3 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n";
  std::ofstream(dir / "meminfo") << "MemTotal:       1000 kB\nMemFree:         300 kB\n"
                                    "MemAvailable:    600 kB\nInactive(file):  200 kB\n";
  NodeUsage u = ReadNodeUsage(dir.string(), 1234);
  fs::remove_all(dir);
  ASSERT_TRUE(u.has_cpu);
  uint64_t tick_ns = 1'000'000'000 / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  EXPECT_EQ(u.cpu_ns, (100 + 20 + 30 + 1 + 2 + 3) * tick_ns) << "idle and iowait are not busy";
  ASSERT_TRUE(u.has_memory);
  EXPECT_EQ(u.working_set_bytes, (1000u - 300u - 200u) * 1024u);
  EXPECT_EQ(u.timestamp_ms, 1234);
}

TEST(ResourceMetricsTest, MissingProcFilesLeaveTheNodeFiguresUnset) {
  NodeUsage u = ReadNodeUsage("/nonexistent-proc-dir", 1);
  EXPECT_FALSE(u.has_cpu);
  EXPECT_FALSE(u.has_memory);
}

RuntimeClient::ContainerStats Stats(const std::string& pod, const std::string& container,
                                    uint64_t cpu_ns, uint64_t memory) {
  RuntimeClient::ContainerStats s;
  s.id = pod + "-" + container;
  s.name = container;
  s.labels = {{"io.kubernetes.pod.namespace", "default"},
              {"io.kubernetes.pod.name", pod},
              {"io.kubernetes.container.name", container}};
  s.has_cpu = true;
  s.usage_core_nanoseconds = cpu_ns;
  s.cpu_timestamp_ns = 5'000'000'000;
  s.has_memory = true;
  s.working_set_bytes = memory;
  s.memory_timestamp_ns = 6'000'000'000;
  return s;
}

TEST(ResourceMetricsTest, ContainersAreNamedByTheirPodLabelsAndForeignOnesSkipped) {
  RuntimeClient::ContainerStats foreign = Stats("x", "y", 1, 1);
  foreign.labels.clear();
  std::vector<ContainerUsage> c = ContainerUsages({Stats("web", "app", 1, 2), foreign}, 99);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].ns, "default");
  EXPECT_EQ(c[0].pod, "web");
  EXPECT_EQ(c[0].container, "app");
  EXPECT_EQ(c[0].cpu_timestamp_ms, 5000);
  EXPECT_EQ(c[0].memory_timestamp_ms, 6000);
}

TEST(ResourceMetricsTest, TextHasContainerPodAndNodeSamplesWithTimestamps) {
  NodeUsage node{true, 1'500'000'000, true, 4096, 7000};
  std::vector<ContainerUsage> c = ContainerUsages(
      {Stats("web", "app", 2'000'000'001, 100), Stats("web", "side", 500'000'000, 50)}, 0);
  std::string text = RenderResourceMetrics(node, c, false);
  for (const char* line : {
           "container_cpu_usage_seconds_total{container=\"app\",namespace=\"default\","
           "pod=\"web\"} 2.000000001 5000\n",
           "container_memory_working_set_bytes{container=\"side\",namespace=\"default\","
           "pod=\"web\"} 50 6000\n",
           "node_cpu_usage_seconds_total 1.500000000 7000\n",
           "node_memory_working_set_bytes 4096 7000\n",
           "pod_cpu_usage_seconds_total{namespace=\"default\",pod=\"web\"} 2.500000001 5000\n",
           "pod_memory_working_set_bytes{namespace=\"default\",pod=\"web\"} 150 6000\n",
           "# TYPE container_cpu_usage_seconds_total counter\n",
           "scrape_error 0\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  EXPECT_NE(RenderResourceMetrics(NodeUsage{}, {}, true).find("scrape_error 1\n"),
            std::string::npos);
}

TEST(ResourceMetricsTest, LabelValuesAreEscaped) {
  ContainerUsage c;
  c.ns = "n";
  c.pod = "a\"b\\c";
  c.container = "x";
  c.has_memory = true;
  std::string text = RenderResourceMetrics(NodeUsage{}, {c}, false);
  EXPECT_NE(text.find(R"(pod="a\"b\\c")"), std::string::npos) << text;
}

}  // namespace
}  // namespace capstan::agent
