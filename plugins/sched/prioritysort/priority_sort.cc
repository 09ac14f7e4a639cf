// QueueSort by priority, then creation time; see priority_sort.h.
#include "plugins/sched/prioritysort/priority_sort.h"

namespace capstan::sched {

bool PrioritySort::QueueLess(const sdk::PodView& a, const sdk::PodView& b) {
  if (a.priority() != b.priority()) return a.priority() > b.priority();
  return a.creation_unix_ms() < b.creation_unix_ms();
}

}  // namespace capstan::sched
