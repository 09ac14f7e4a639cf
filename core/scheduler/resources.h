// Resource vectors of the scheduler: Kubernetes quantities parsed into integers (cpu in
// millicores, everything else in whole units rounded up) and the pod/node sums built from them.
// Used by pod_info.h (effective requests, allocatable) and cache.h (per-node sums).
// Tests in tests/core/scheduler/resources_test.cc.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/status.h"

namespace capstan::scheduler {

// A quantity ("500m", "1Gi", "1e3", "0.5") in thousandths of its unit, rounded up (upstream's
// MilliValue). Saturates at the int64 range. Errors: kInvalid naming the text.
Result<int64_t> ParseQuantityMilli(std::string_view text);
// A JSON string or number (kubectl sends `cpu: 1` as a number). Errors: kInvalid.
Result<int64_t> QuantityMilliFromJson(const nlohmann::json& value);

// A resource vector. Plain value type; not thread-safe to mutate concurrently.
struct Resources {
  int64_t milli_cpu = 0;
  int64_t memory = 0;
  int64_t ephemeral_storage = 0;
  int64_t pods = 0;
  // Extended and hugepages resources, sorted by name, no duplicates.
  std::vector<std::pair<std::string, int64_t>> scalars;

  void Add(const Resources& other);
  // Subtracts; never below zero per field (a forgotten pod must not make a node look roomier).
  void Sub(const Resources& other);
  // Field-wise maximum.
  void Max(const Resources& other);
  int64_t Scalar(std::string_view name) const;
  void SetScalar(std::string_view name, int64_t value);
  friend bool operator==(const Resources&, const Resources&) = default;
};

// Reads a Kubernetes ResourceList ({"cpu": "2", "memory": "1Gi", ...}); cpu in millicores, the
// rest in units rounded up. A missing or null `list` is empty. Errors: kInvalid
// "<field>.<name>: <why>".
Result<Resources> ResourcesFromList(const nlohmann::json* list, std::string_view field);

}  // namespace capstan::scheduler
