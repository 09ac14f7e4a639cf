// Resource helpers; see resources.h.
#include "plugins/sched/common/resources.h"

#include "plugins/sched/common/sched_util.h"

namespace capstan::sched {

int64_t ResourceOf(const capstan_sched_resources& r, std::string_view name) {
  if (name == "cpu") return r.milli_cpu;
  if (name == "memory") return r.memory;
  if (name == "ephemeral-storage") return r.ephemeral_storage;
  if (name == "pods") return r.pods;
  return ScalarOf(r, name);
}

ResourceKind KindOf(std::string_view name) {
  if (name == "cpu") return ResourceKind::kCpu;
  if (name == "memory") return ResourceKind::kMemory;
  if (name == "ephemeral-storage") return ResourceKind::kEphemeralStorage;
  if (name == "pods") return ResourceKind::kPods;
  return ResourceKind::kScalar;
}

bool IsScalarResource(std::string_view name) {
  return name != "cpu" && name != "memory" && name != "ephemeral-storage" && name != "pods";
}

sdk::Status ParseResourceSpecs(const sdk::json::Json* list, std::vector<ResourceSpec>* out) {
  out->clear();
  if (list != nullptr && list->is_array()) {
    for (const sdk::json::Json& item : *list) {
      std::optional<std::string> name = sdk::json::GetString(item, "name");
      if (!name || name->empty()) return sdk::Status::Invalid("resources[].name is required");
      int64_t weight = sdk::json::GetInt(item, "weight").value_or(0);
      if (weight < 0 || weight > 100) {
        return sdk::Status::Invalid("resources[].weight must be in [1, 100]");
      }
      ResourceKind kind = KindOf(*name);
      out->push_back({std::move(*name), weight == 0 ? 1 : weight, kind});
    }
  }
  if (out->empty()) *out = {{"cpu", 1, ResourceKind::kCpu}, {"memory", 1, ResourceKind::kMemory}};
  return sdk::Status::Ok();
}

int64_t LeastRequestedScore(int64_t requested, int64_t capacity) {
  if (capacity == 0 || requested > capacity) return 0;
  return (capacity - requested) * kMaxNodeScore / capacity;
}

int64_t MostRequestedScore(int64_t requested, int64_t capacity) {
  if (capacity == 0) return 0;
  if (requested > capacity) requested = capacity;
  return requested * kMaxNodeScore / capacity;
}

int64_t BrokenLinear(const std::vector<ShapePoint>& shape, int64_t p) {
  for (size_t i = 0; i < shape.size(); ++i) {
    if (p <= shape[i].utilization) {
      if (i == 0) return shape[0].score;
      const ShapePoint& a = shape[i - 1];
      const ShapePoint& b = shape[i];
      return a.score + (b.score - a.score) * (p - a.utilization) / (b.utilization - a.utilization);
    }
  }
  return shape.empty() ? 0 : shape.back().score;
}

}  // namespace capstan::sched
