// Resource fit and allocation scoring; see node_resources_fit.h.
#include "plugins/sched/node-resources-fit/node_resources_fit.h"

#include <cmath>

#include "capstan/sdk/json.h"
#include "plugins/sched/common/sched_util.h"

namespace capstan::sched {
namespace {

using sdk::json::Json;

void ReadStrings(const Json& config, std::string_view key,
                 std::set<std::string, std::less<>>* out) {
  if (const Json* list = sdk::json::GetArray(config, key)) {
    for (const Json& v : *list) {
      if (auto s = sdk::json::AsString(v)) out->insert(*s);
    }
  }
}

}  // namespace

sdk::Status NodeResourcesFit::Init(const sdk::Host& host, std::string_view config_json) {
  (void)host;
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  ReadStrings(*config, "ignoredResources", &ignored_);
  ReadStrings(*config, "ignoredResourceGroups", &ignored_groups_);
  const Json* strategy = sdk::json::GetObject(*config, "scoringStrategy");
  std::string type = "LeastAllocated";
  const Json* resources = nullptr;
  if (strategy != nullptr) {
    type = sdk::json::GetString(*strategy, "type").value_or(type);
    resources = sdk::json::GetArray(*strategy, "resources");
  }
  sdk::Status s = ParseResourceSpecs(resources, &resources_);
  if (!s.ok()) return s;
  if (type == "MostAllocated") {
    strategy_ = ScoringStrategy::kMostAllocated;
  } else if (type == "RequestedToCapacityRatio") {
    strategy_ = ScoringStrategy::kRequestedToCapacityRatio;
    const Json* shape = sdk::json::FindPath(*strategy, {"requestedToCapacityRatio", "shape"});
    if (shape == nullptr || !shape->is_array() || shape->empty()) {
      return sdk::Status::Invalid("scoringStrategy.requestedToCapacityRatio.shape is required");
    }
    for (const Json& p : *shape) {
      int64_t u = sdk::json::GetInt(p, "utilization").value_or(-1);
      int64_t sc = sdk::json::GetInt(p, "score").value_or(-1);
      if (u < 0 || u > 100 || sc < 0 || sc > 10) {
        return sdk::Status::Invalid("shape points need utilization in [0,100], score in [0,10]");
      }
      if (!shape_.empty() && u <= shape_.back().utilization) {
        return sdk::Status::Invalid("shape utilization values must be strictly increasing");
      }
      // Shape scores are 0..10 (MaxCustomPriorityScore); node scores are 0..100.
      shape_.push_back({u, sc * (kMaxNodeScore / 10)});
    }
  } else if (type != "LeastAllocated") {
    return sdk::Status::Invalid("unknown scoringStrategy.type '" + type + "'");
  }
  return sdk::Status::Ok();
}

bool NodeResourcesFit::Ignored(std::string_view scalar) const {
  if (ignored_.count(scalar) > 0) return true;
  size_t slash = scalar.find('/');
  return slash != std::string_view::npos && ignored_groups_.count(scalar.substr(0, slash)) > 0;
}

sdk::Status NodeResourcesFit::Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                     const sdk::NodeView& node) {
  (void)call, (void)cycle;
  std::string reasons;
  const capstan_sched_resources want = pod.requests();
  const capstan_sched_resources alloc = node.allocatable();
  const capstan_sched_resources used = node.requested();
  if (int64_t{node.pod_count()} + 1 > alloc.pods) AppendReason(&reasons, "Too many pods");
  if (want.milli_cpu > 0 && want.milli_cpu > alloc.milli_cpu - used.milli_cpu) {
    AppendReason(&reasons, "Insufficient cpu");
  }
  if (want.memory > 0 && want.memory > alloc.memory - used.memory) {
    AppendReason(&reasons, "Insufficient memory");
  }
  if (want.ephemeral_storage > 0 &&
      want.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage) {
    AppendReason(&reasons, "Insufficient ephemeral-storage");
  }
  for (uint32_t i = 0; i < want.scalar_count && want.scalars != nullptr; ++i) {
    std::string_view name = sdk::ToView(want.scalars[i].name);
    int64_t q = want.scalars[i].value;
    if (q <= 0 || Ignored(name)) continue;
    if (q > ScalarOf(alloc, name) - ScalarOf(used, name)) {
      AppendReason(&reasons, "Insufficient " + std::string(name));
    }
  }
  if (reasons.empty()) return sdk::Status::Ok();
  return sdk::Status::Unschedulable(std::move(reasons));
}

int64_t NodeResourcesFit::ScoreResource(int64_t requested, int64_t capacity) const {
  switch (strategy_) {
    case ScoringStrategy::kLeastAllocated:
      return LeastRequestedScore(requested, capacity);
    case ScoringStrategy::kMostAllocated:
      return MostRequestedScore(requested, capacity);
    case ScoringStrategy::kRequestedToCapacityRatio:
      if (capacity == 0 || requested > capacity) return BrokenLinear(shape_, 100);
      return BrokenLinear(shape_, requested * 100 / capacity);
  }
  return 0;
}

sdk::Status NodeResourcesFit::Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                    const sdk::NodeView& node, int64_t* score) {
  (void)call, (void)cycle;
  const capstan_sched_resources want = pod.requests();
  const capstan_sched_resources alloc = node.allocatable();
  const capstan_sched_resources used = node.requested();
  int64_t node_score = 0, weight_sum = 0;
  for (const ResourceSpec& r : resources_) {
    int64_t pod_req = ResourceOf(want, r);
    // Scoring counts a pod without cpu/memory requests as upstream's non-zero defaults.
    if (r.kind == ResourceKind::kCpu && pod_req == 0) pod_req = kDefaultMilliCpuRequest;
    if (r.kind == ResourceKind::kMemory && pod_req == 0) pod_req = kDefaultMemoryRequest;
    if (pod_req == 0 && r.kind == ResourceKind::kScalar) continue;
    int64_t capacity = ResourceOf(alloc, r);
    if (capacity == 0) continue;
    int64_t s = ScoreResource(ResourceOf(used, r) + pod_req, capacity);
    if (strategy_ == ScoringStrategy::kRequestedToCapacityRatio && s <= 0) continue;
    node_score += s * r.weight;
    weight_sum += r.weight;
  }
  if (weight_sum == 0) {
    *score = 0;
  } else if (strategy_ == ScoringStrategy::kRequestedToCapacityRatio) {
    *score = std::llround(static_cast<double>(node_score) / static_cast<double>(weight_sum));
  } else {
    *score = node_score / weight_sum;
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::sched
