// `NodeAffinity` (PreFilter, Filter, PreScore, Score, NormalizeScore): `.spec.nodeSelector` and
// required node affinity filter nodes; preferred node affinity terms score them. The pod's
// affinity is parsed once per cycle in PreFilter/PreScore and kept in a `CycleCache`, so the
// per-node calls only match labels. Exported by plugin.cc; tested in
// tests/plugins/sched/node-affinity/.
#ifndef CAPSTAN_PLUGINS_SCHED_NODE_AFFINITY_NODE_AFFINITY_H_
#define CAPSTAN_PLUGINS_SCHED_NODE_AFFINITY_NODE_AFFINITY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capstan/sdk/host.h"
#include "capstan/sdk/sched.h"
#include "plugins/sched/common/cycle_cache.h"
#include "plugins/sched/common/node_affinity_terms.h"

namespace capstan::sched {

inline constexpr char kNodeAffinityName[] = "node-affinity";
inline constexpr char kNodeAffinityReasonPod[] =
    "node(s) didn't match Pod's node affinity/selector";
inline constexpr char kNodeAffinityReasonEnforced[] =
    "node(s) didn't match scheduler-enforced node affinity";
inline constexpr char kNodeAffinityReasonConflict[] = "pod affinity terms conflict";
inline constexpr char kNodeAffinitySchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {"addedAffinity": {"type": "object"}}
})";

// Thread-safe: configuration is immutable after Init; per-cycle data lives in `cache_`.
class NodeAffinity final : public sdk::SchedPlugin {
 public:
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // Parses the pod's affinity (ERROR when its JSON is unavailable). SKIP when the pod has no
  // nodeSelector and no required affinity and no addedAffinity is configured. Restricts the
  // nodes when every required term names nodes by metadata.name; UNRESOLVABLE
  // "pod affinity terms conflict" when that set is empty.
  sdk::Status PreFilter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                        std::string* node_names_json) override;
  // UNRESOLVABLE "node(s) didn't match scheduler-enforced node affinity" or
  // "node(s) didn't match Pod's node affinity/selector".
  sdk::Status Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                     const sdk::NodeView& node) override;
  // SKIP when neither the pod nor addedAffinity has preferred terms.
  sdk::Status PreScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                       const sdk::NodeList& nodes) override;
  // The sum of the weights of matching preferred terms (pod's and addedAffinity's).
  sdk::Status Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                    const sdk::NodeView& node, int64_t* score) override;
  // DefaultNormalizeScore(100, reverse = false).
  sdk::Status NormalizeScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                             sdk::NodeScores& scores) override;

 private:
  // The cycle's parsed terms: from the cache, else parsed now (and cached when `store`).
  sdk::Status Terms(const sdk::Cycle& cycle, const sdk::PodView& pod, bool store,
                    std::shared_ptr<const NodeAffinityTerms>* out);

  NodeAffinityTerms added_;
  CycleCache<NodeAffinityTerms> cache_{kNodeAffinityName};
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_NODE_AFFINITY_NODE_AFFINITY_H_
