// `PrioritySort` (QueueSort): higher `.spec.priority` first, then the older pod. Exported by
// plugin.cc; tested in tests/plugins/sched/prioritysort/.
#ifndef CAPSTAN_PLUGINS_SCHED_PRIORITYSORT_PRIORITY_SORT_H_
#define CAPSTAN_PLUGINS_SCHED_PRIORITYSORT_PRIORITY_SORT_H_

#include "capstan/sdk/sched.h"

namespace capstan::sched {

inline constexpr char kPrioritySortName[] = "prioritysort";

// Stateless, so thread-safe.
class PrioritySort final : public sdk::SchedPlugin {
 public:
  // True when `a` has the higher priority, or equal priority and an earlier creation time.
  bool QueueLess(const sdk::PodView& a, const sdk::PodView& b) override;
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_PRIORITYSORT_PRIORITY_SORT_H_
