// Resource helpers for node-resources-fit and node-resources-balanced-allocation: reading one
// named resource from a view's resource vector, the configured (name, weight) list, and the
// per-resource scoring functions of upstream's noderesources package. Partner: resources.cc.
#ifndef CAPSTAN_PLUGINS_SCHED_COMMON_RESOURCES_H_
#define CAPSTAN_PLUGINS_SCHED_COMMON_RESOURCES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/abi/sched.h"
#include "capstan/sdk/json.h"
#include "capstan/sdk/status.h"

namespace capstan::sched {

// upstream's DefaultMilliCPURequest / DefaultMemoryRequest ("non-zero" requests for scoring).
inline constexpr int64_t kDefaultMilliCpuRequest = 100;
inline constexpr int64_t kDefaultMemoryRequest = int64_t{200} * 1024 * 1024;

// Which field of `capstan_sched_resources` a resource name reads; resolved once at config time
// so per-node Score calls compare no strings.
enum class ResourceKind : uint8_t { kCpu, kMemory, kEphemeralStorage, kPods, kScalar };
ResourceKind KindOf(std::string_view name);

struct ResourceSpec {
  std::string name;
  int64_t weight = 1;
  ResourceKind kind = ResourceKind::kScalar;  // KindOf(name); set by ParseResourceSpecs
};

// "cpu" (millicores), "memory", "ephemeral-storage", "pods", else a scalar resource; 0 if absent.
int64_t ResourceOf(const capstan_sched_resources& r, std::string_view name);
// The same for a parsed spec, without comparing names unless it is a scalar resource.
inline int64_t ResourceOf(const capstan_sched_resources& r, const ResourceSpec& spec) {
  switch (spec.kind) {
    case ResourceKind::kCpu:
      return r.milli_cpu;
    case ResourceKind::kMemory:
      return r.memory;
    case ResourceKind::kEphemeralStorage:
      return r.ephemeral_storage;
    case ResourceKind::kPods:
      return r.pods;
    case ResourceKind::kScalar:
      break;
  }
  return ResourceOf(r, std::string_view(spec.name));
}
// True for the resources kept in `capstan_sched_resources.scalars` (extended, hugepages).
bool IsScalarResource(std::string_view name);

// Parses `[{"name": ..., "weight": ...}]` (weight defaults to 1); an absent or empty list gives
// cpu and memory with weight 1, as upstream's defaults. INVALID on a malformed entry.
sdk::Status ParseResourceSpecs(const sdk::json::Json* list, std::vector<ResourceSpec>* out);

// Per-resource scores in [0, 100] (upstream leastRequestedScore / mostRequestedScore).
int64_t LeastRequestedScore(int64_t requested, int64_t capacity);
int64_t MostRequestedScore(int64_t requested, int64_t capacity);

// A piecewise linear function through (utilization, score) points sorted by utilization.
struct ShapePoint {
  int64_t utilization;
  int64_t score;
};
int64_t BrokenLinear(const std::vector<ShapePoint>& shape, int64_t p);

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_COMMON_RESOURCES_H_
