// `DefaultPreemption` (PostFilter): when no node fits, finds the node where evicting the fewest,
// least important lower-priority pods makes the pod fit, deletes those victims through the API,
// sets the pod's status.nominatedNodeName and nominates the node. Exported by plugin.cc; victim
// selection in victims.cc; tested in tests/plugins/sched/default-preemption/.
#ifndef CAPSTAN_PLUGINS_SCHED_DEFAULT_PREEMPTION_PREEMPTION_H_
#define CAPSTAN_PLUGINS_SCHED_DEFAULT_PREEMPTION_PREEMPTION_H_

#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/host.h"
#include "capstan/sdk/sched.h"
#include "plugins/sched/default-preemption/victims.h"

namespace capstan::sched {

inline constexpr char kDefaultPreemptionName[] = "default-preemption";
inline constexpr char kNoVictimsReason[] = "No preemption victims found for incoming pod";
inline constexpr char kNotHelpfulReason[] = "Preemption is not helpful for scheduling";
inline constexpr char kNeverReason[] = "not eligible due to preemptionPolicy=Never.";

// Thread-safe: no mutable state; PostFilter runs once per failed cycle.
class DefaultPreemption final : public sdk::SchedPlugin {
 public:
  // Always OK (a host without an API client makes PostFilter UNAVAILABLE).
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // OK with `*nominated_node` after deleting the victims and patching the pod's status;
  // UNSCHEDULABLE "not eligible due to preemptionPolicy=Never." or
  // "preemption: 0/N nodes are available: ..." when no node can be freed; ERROR when a
  // victim's deletion fails.
  sdk::Status PostFilter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                         const sdk::NodeStatuses& statuses, std::string* nominated_node) override;

 private:
  sdk::Status Evict(sdk::Call& call, const sdk::PodView& pod, const Candidate& c);

  const sdk::Host* host_ = nullptr;
};

// Whether preemption can help a node that failed with `code` and `reason`: only UNSCHEDULABLE
// nodes whose reasons are all about resources, pod slots or host ports (what victims.cc models).
bool PreemptionMayHelp(capstan_rc code, std::string_view reason);

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_DEFAULT_PREEMPTION_PREEMPTION_H_
