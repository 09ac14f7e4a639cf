// Small helpers the pod-worker files share (pod_sync.cc, pod_report.cc, container_start.cc,
// image_pull.cc): the pod's API path, runtime timestamps as RFC 3339, and lowering the next
// requeue delay. Internal to core/agent.
#pragma once

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "core/agent/agent.h"

namespace capstan::agent {

// "/api/v1/namespaces/<ns>/pods/<name>".
inline std::string PodPath(const nlohmann::json& pod) {
  const nlohmann::json& m = pod["metadata"];
  return "/api/v1/namespaces/" + m.value("namespace", "default") + "/pods/" + m.value("name", "");
}

// Runtime nanosecond timestamps ("123" or 123) as RFC 3339; "" for zero.
inline std::string NsToRfc3339(const nlohmann::json& v) {
  int64_t ns = 0;
  if (v.is_number_integer()) ns = v.get<int64_t>();
  if (v.is_string()) ns = std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
  if (ns <= 0) return "";
  return Rfc3339(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(ns))));
}

// Lowers `*current` (0: unset) to `candidate`, at least 1 ms.
inline void LowerRequeue(std::chrono::milliseconds* current, std::chrono::milliseconds candidate) {
  if (candidate < std::chrono::milliseconds(1)) candidate = std::chrono::milliseconds(1);
  if (current->count() == 0 || candidate < *current) *current = candidate;
}

}  // namespace capstan::agent
