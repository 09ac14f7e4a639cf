// `NodeResourcesBalancedAllocation` (PreScore, Score): prefers nodes whose resource utilization
// fractions stay close to each other once the pod is placed. Exported by plugin.cc; tested in
// tests/plugins/sched/node-resources-balanced-allocation/.
#ifndef CAPSTAN_PLUGINS_SCHED_NODE_RESOURCES_BALANCED_ALLOCATION_BALANCED_ALLOCATION_H_
#define CAPSTAN_PLUGINS_SCHED_NODE_RESOURCES_BALANCED_ALLOCATION_BALANCED_ALLOCATION_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "capstan/sdk/host.h"
#include "capstan/sdk/sched.h"
#include "plugins/sched/common/resources.h"

namespace capstan::sched {

inline constexpr char kBalancedAllocationName[] = "node-resources-balanced-allocation";
inline constexpr char kBalancedAllocationSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "resources": {"type": "array", "items": {
      "type": "object", "required": ["name"], "additionalProperties": false,
      "properties": {"name": {"type": "string", "minLength": 1},
                     "weight": {"type": "integer", "minimum": 0, "maximum": 100}}}}
  }
})";

// Configuration is immutable after Init; entries only read views, so thread-safe.
class BalancedAllocation final : public sdk::SchedPlugin {
 public:
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // SKIP for a pod requesting none of the configured resources (best effort), else OK.
  sdk::Status PreScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                       const sdk::NodeList& nodes) override;
  // (1 - standard deviation of the requested/allocatable fractions) * 100.
  sdk::Status Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                    const sdk::NodeView& node, int64_t* score) override;

 private:
  std::vector<ResourceSpec> resources_;
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_NODE_RESOURCES_BALANCED_ALLOCATION_BALANCED_ALLOCATION_H_
