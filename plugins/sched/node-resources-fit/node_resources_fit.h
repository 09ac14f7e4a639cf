// `NodeResourcesFit` (Filter, Score): the pod's requests must fit the node's free allocatable
// resources and pod slots; Score ranks nodes by the configured strategy (LeastAllocated,
// MostAllocated or RequestedToCapacityRatio). Exported by plugin.cc; tested in
// tests/plugins/sched/node-resources-fit/.
#ifndef CAPSTAN_PLUGINS_SCHED_NODE_RESOURCES_FIT_NODE_RESOURCES_FIT_H_
#define CAPSTAN_PLUGINS_SCHED_NODE_RESOURCES_FIT_NODE_RESOURCES_FIT_H_

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/host.h"
#include "capstan/sdk/sched.h"
#include "plugins/sched/common/resources.h"

namespace capstan::sched {

inline constexpr char kNodeResourcesFitName[] = "node-resources-fit";
inline constexpr char kNodeResourcesFitSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "ignoredResources": {"type": "array", "items": {"type": "string"}},
    "ignoredResourceGroups": {"type": "array", "items": {"type": "string"}},
    "scoringStrategy": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "type": {"enum": ["LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"]},
        "resources": {"type": "array", "items": {
          "type": "object", "required": ["name"], "additionalProperties": false,
          "properties": {"name": {"type": "string", "minLength": 1},
                         "weight": {"type": "integer", "minimum": 0, "maximum": 100}}}},
        "requestedToCapacityRatio": {
          "type": "object",
          "additionalProperties": false,
          "properties": {"shape": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["utilization", "score"], "additionalProperties": false,
            "properties": {"utilization": {"type": "integer", "minimum": 0, "maximum": 100},
                           "score": {"type": "integer", "minimum": 0, "maximum": 10}}}}}
        }
      }
    }
  }
})";

enum class ScoringStrategy { kLeastAllocated, kMostAllocated, kRequestedToCapacityRatio };

// Configuration is immutable after Init; Filter and Score only read views, so thread-safe.
class NodeResourcesFit final : public sdk::SchedPlugin {
 public:
  // INVALID when RequestedToCapacityRatio lacks a shape or the shape's utilizations do not
  // strictly increase.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // UNSCHEDULABLE with every failing reason joined by ", ": "Too many pods", "Insufficient cpu",
  // "Insufficient memory", "Insufficient ephemeral-storage", "Insufficient <scalar>".
  sdk::Status Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                     const sdk::NodeView& node) override;
  // The strategy's weighted score in [0, 100].
  sdk::Status Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                    const sdk::NodeView& node, int64_t* score) override;

 private:
  bool Ignored(std::string_view scalar) const;
  int64_t ScoreResource(int64_t requested, int64_t capacity) const;

  ScoringStrategy strategy_ = ScoringStrategy::kLeastAllocated;
  std::vector<ResourceSpec> resources_;
  std::vector<ShapePoint> shape_;  // scores already scaled to [0, 100]
  std::set<std::string, std::less<>> ignored_, ignored_groups_;
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_NODE_RESOURCES_FIT_NODE_RESOURCES_FIT_H_
