// The agent's resource metrics (resource_metrics.h): /proc readers and the Prometheus text.
#include "core/agent/resource_metrics.h"

#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

namespace capstan::agent {
namespace {

// "12.345678901": nanoseconds as seconds without the rounding of a double's shortest form.
std::string Seconds(uint64_t ns) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%" PRIu64 ".%09" PRIu64, ns / 1'000'000'000, ns % 1'000'000'000);
  return buf;
}

// A Prometheus label value: backslash, double quote and newline escaped.
std::string Escape(const std::string& v) {
  std::string out;
  for (char ch : v) {
    if (ch == '\\' || ch == '"') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out;
}

std::string Labels(const std::string& ns, const std::string& pod, const std::string* container) {
  std::string out = "{";
  if (container != nullptr) out += "container=\"" + Escape(*container) + "\",";
  return out + "namespace=\"" + Escape(ns) + "\",pod=\"" + Escape(pod) + "\"}";
}

void Header(std::string& out, const char* name, const char* type, const char* help) {
  out +=
      std::string("# HELP ") + name + " [STABLE] " + help + "\n# TYPE " + name + " " + type + "\n";
}

std::string Sample(const std::string& name, const std::string& labels, const std::string& value,
                   int64_t ts_ms) {
  return name + labels + " " + value + " " + std::to_string(ts_ms) + "\n";
}

struct PodSum {
  uint64_t cpu_ns = 0;
  uint64_t memory = 0;
  int64_t cpu_ts = 0;
  int64_t memory_ts = 0;
  bool has_cpu = false;
  bool has_memory = false;
};

}  // namespace

NodeUsage ReadNodeUsage(const std::string& proc_dir, int64_t now_ms) {
  NodeUsage u;
  u.timestamp_ms = now_ms;
  std::ifstream stat(proc_dir + "/stat");
  std::string word;
  if (stat >> word && word == "cpu") {
    // user nice system idle iowait irq softirq steal: idle and iowait are not busy time.
    uint64_t f[8] = {};
    bool ok = true;
    for (uint64_t& v : f) ok = ok && static_cast<bool>(stat >> v);
    long hz = sysconf(_SC_CLK_TCK);
    if (ok && hz > 0) {
      uint64_t ticks = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
      u.has_cpu = true;
      u.cpu_ns = ticks * (1'000'000'000 / static_cast<uint64_t>(hz));
    }
  }
  std::ifstream meminfo(proc_dir + "/meminfo");
  std::map<std::string, uint64_t> kb;
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream in(line);
    std::string key;
    uint64_t value = 0;
    if (in >> key >> value && !key.empty() && key.back() == ':') {
      key.pop_back();
      kb[key] = value;
    }
  }
  if (kb.count("MemTotal") != 0 && kb.count("MemFree") != 0) {
    uint64_t used = kb["MemTotal"] > kb["MemFree"] ? kb["MemTotal"] - kb["MemFree"] : 0;
    uint64_t inactive = kb.count("Inactive(file)") != 0 ? kb["Inactive(file)"] : 0;
    u.has_memory = true;
    u.working_set_bytes = (used > inactive ? used - inactive : 0) * 1024;
  }
  return u;
}

std::vector<ContainerUsage> ContainerUsages(const std::vector<RuntimeClient::ContainerStats>& stats,
                                            int64_t now_ms) {
  std::vector<ContainerUsage> out;
  for (const RuntimeClient::ContainerStats& s : stats) {
    auto label = [&s](const char* key) {
      auto it = s.labels.find(key);
      return it != s.labels.end() ? it->second : std::string();
    };
    ContainerUsage c;
    c.ns = label("io.kubernetes.pod.namespace");
    c.pod = label("io.kubernetes.pod.name");
    c.container = label("io.kubernetes.container.name");
    if (c.container.empty()) c.container = s.name;
    if (c.ns.empty() || c.pod.empty() || c.container.empty()) continue;
    c.has_cpu = s.has_cpu;
    c.cpu_ns = s.usage_core_nanoseconds;
    c.cpu_timestamp_ms = s.cpu_timestamp_ns > 0 ? s.cpu_timestamp_ns / 1'000'000 : now_ms;
    c.has_memory = s.has_memory;
    c.working_set_bytes = s.working_set_bytes;
    c.memory_timestamp_ms = s.memory_timestamp_ns > 0 ? s.memory_timestamp_ns / 1'000'000 : now_ms;
    out.push_back(std::move(c));
  }
  return out;
}

std::string RenderResourceMetrics(const NodeUsage& node,
                                  const std::vector<ContainerUsage>& containers,
                                  bool container_error) {
  std::string out;
  std::string cpu_lines;
  std::string memory_lines;
  std::map<std::pair<std::string, std::string>, PodSum> pods;
  for (const ContainerUsage& c : containers) {
    PodSum& p = pods[{c.ns, c.pod}];
    std::string labels = Labels(c.ns, c.pod, &c.container);
    if (c.has_cpu) {
      cpu_lines += Sample("container_cpu_usage_seconds_total", labels, Seconds(c.cpu_ns),
                          c.cpu_timestamp_ms);
      p.has_cpu = true;
      p.cpu_ns += c.cpu_ns;
      p.cpu_ts = std::max(p.cpu_ts, c.cpu_timestamp_ms);
    }
    if (c.has_memory) {
      memory_lines += Sample("container_memory_working_set_bytes", labels,
                             std::to_string(c.working_set_bytes), c.memory_timestamp_ms);
      p.has_memory = true;
      p.memory += c.working_set_bytes;
      p.memory_ts = std::max(p.memory_ts, c.memory_timestamp_ms);
    }
  }
  Header(out, "container_cpu_usage_seconds_total", "counter",
         "Cumulative cpu time consumed by the container in core-seconds");
  out += cpu_lines;
  Header(out, "container_memory_working_set_bytes", "gauge",
         "Current working set of the container in bytes");
  out += memory_lines;
  Header(out, "node_cpu_usage_seconds_total", "counter",
         "Cumulative cpu time consumed by the node in core-seconds");
  if (node.has_cpu) {
    out += Sample("node_cpu_usage_seconds_total", "", Seconds(node.cpu_ns), node.timestamp_ms);
  }
  Header(out, "node_memory_working_set_bytes", "gauge", "Current working set of the node in bytes");
  if (node.has_memory) {
    out += Sample("node_memory_working_set_bytes", "", std::to_string(node.working_set_bytes),
                  node.timestamp_ms);
  }
  Header(out, "pod_cpu_usage_seconds_total", "counter",
         "Cumulative cpu time consumed by the pod in core-seconds");
  for (const auto& [key, p] : pods) {
    if (p.has_cpu) {
      out += Sample("pod_cpu_usage_seconds_total", Labels(key.first, key.second, nullptr),
                    Seconds(p.cpu_ns), p.cpu_ts);
    }
  }
  Header(out, "pod_memory_working_set_bytes", "gauge", "Current working set of the pod in bytes");
  for (const auto& [key, p] : pods) {
    if (p.has_memory) {
      out += Sample("pod_memory_working_set_bytes", Labels(key.first, key.second, nullptr),
                    std::to_string(p.memory), p.memory_ts);
    }
  }
  out +=
      "# HELP scrape_error [ALPHA] 1 if there was an error while getting container metrics, 0 "
      "otherwise\n# TYPE scrape_error gauge\n";
  out += std::string("scrape_error ") + (container_error ? "1" : "0") + "\n";
  return out;
}

}  // namespace capstan::agent
