// Reading the agent's `/metrics/resource` Prometheus text (core/agent/resource_metrics.h, the
// kubelet's format) into usage points, and the metrics-server arithmetic between two scrapes
// (CPU as the rate of the cumulative counter, memory as the latest gauge). Pure functions;
// used by metrics_scraper.h. Tests: tests/core/apiserver/metrics_text_test.cc.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "core/common/status.h"

namespace capstan::apiserver {

// One object's figures in one scrape.
struct UsagePoint {
  bool has_cpu = false;
  double cpu_seconds = 0;  // cumulative
  int64_t cpu_timestamp_ms = 0;
  bool has_memory = false;
  double memory_bytes = 0;  // working set
  int64_t memory_timestamp_ms = 0;
};

// (namespace, pod, container).
using ContainerKey = std::tuple<std::string, std::string, std::string>;

struct ResourceScrape {
  UsagePoint node;
  std::map<ContainerKey, UsagePoint> containers;
};

// Parses the samples of node_cpu_usage_seconds_total, node_memory_working_set_bytes,
// container_cpu_usage_seconds_total and container_memory_working_set_bytes (labels container,
// namespace, pod); other families, comments and blank lines are skipped. A sample without a
// timestamp gets `now_ms`. Errors: kInvalid naming the line for a sample line that does not
// parse (bad label syntax, a value that is not a number).
Result<ResourceScrape> ParseResourceMetrics(std::string_view text, int64_t now_ms);

// Usage over the window between two points of the same object.
struct Usage {
  uint64_t nanocores = 0;
  uint64_t memory_bytes = 0;
  int64_t timestamp_ms = 0;  // the later point's CPU timestamp
  int64_t window_ms = 0;
};

// metrics-server's rule: CPU is (cur - prev) / (cur time - prev time); nothing when either
// point lacks CPU or memory, time does not advance, or the counter went down (a restarted
// container). Memory is the later point's.
std::optional<Usage> UsageBetween(const UsagePoint& prev, const UsagePoint& cur);

// Quantities as metrics-server prints them: CPU in nanocores ("250000000n", "0"), memory in
// Ki ("1024Ki"), or bytes when not a multiple of 1024.
std::string CpuQuantity(uint64_t nanocores);
std::string MemoryQuantity(uint64_t bytes);

}  // namespace capstan::apiserver
