// The agent's `GET /metrics/resource` body: node usage from /proc and container usage from the
// runtime's ListContainerStats (runtime_client.h), rendered in the kubelet's Prometheus text
// format that the apiserver's metrics scraper (core/apiserver/metrics_scraper.h) reads. Pure
// apart from reading /proc; served through AgentServerOptions::resource_metrics
// (core/agent/server/agent_server.h), wired in start_agent.cc. Tests:
// tests/core/agent/resource_metrics_test.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/agent/runtime_client.h"
#include "core/common/status.h"

namespace capstan::agent {

struct NodeUsage {
  bool has_cpu = false;
  uint64_t cpu_ns = 0;  // cumulative busy CPU time of every core
  bool has_memory = false;
  uint64_t working_set_bytes = 0;
  int64_t timestamp_ms = 0;
};

// Node figures: CPU from the first line of <proc_dir>/stat (user + nice + system + irq +
// softirq + steal, in clock ticks), memory working set from <proc_dir>/meminfo as MemTotal -
// MemFree - Inactive(file) (the kubelet's root-cgroup usage minus inactive file pages). A file
// that cannot be read or parsed leaves its figure unset. Thread-safe.
NodeUsage ReadNodeUsage(const std::string& proc_dir, int64_t now_ms);

struct ContainerUsage {
  std::string ns;
  std::string pod;
  std::string container;
  bool has_cpu = false;
  uint64_t cpu_ns = 0;
  int64_t cpu_timestamp_ms = 0;
  bool has_memory = false;
  uint64_t working_set_bytes = 0;
  int64_t memory_timestamp_ms = 0;
};

// The containers of runtime stats whose labels name their pod (io.kubernetes.pod.namespace,
// io.kubernetes.pod.name, io.kubernetes.container.name, as the agent sets them on create);
// others (not created by an agent) are skipped. A stat without a timestamp gets `now_ms`.
std::vector<ContainerUsage> ContainerUsages(const std::vector<RuntimeClient::ContainerStats>& stats,
                                            int64_t now_ms);

// The Prometheus text: node_cpu_usage_seconds_total, node_memory_working_set_bytes,
// container_cpu_usage_seconds_total{container,namespace,pod},
// container_memory_working_set_bytes{...}, pod_cpu_usage_seconds_total{namespace,pod} and
// pod_memory_working_set_bytes{...} (sums over the pod's containers), each sample with its
// millisecond timestamp, and scrape_error (1 when `container_error`). Unset figures are left
// out. Pure.
std::string RenderResourceMetrics(const NodeUsage& node,
                                  const std::vector<ContainerUsage>& containers,
                                  bool container_error);

}  // namespace capstan::agent
