// Victim selection for default-preemption, as upstream's SelectVictimsOnNode and
// pickOneNodeForPreemption restricted to what the typed views carry: resources, pod slots and
// host ports. Pure functions over views; no host calls. Partner: victims.cc; user: preemption.cc.
#ifndef CAPSTAN_PLUGINS_SCHED_DEFAULT_PREEMPTION_VICTIMS_H_
#define CAPSTAN_PLUGINS_SCHED_DEFAULT_PREEMPTION_VICTIMS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "capstan/sdk/sched_views.h"

namespace capstan::sched {

// One node where evicting `victims` (most important first) lets the pod fit.
struct Candidate {
  std::string node;
  std::vector<const capstan_sched_pod_view*> victims;
};

// Whether `pod` fits `node` once `removed` pods (a subset of `pods`) are gone: cpu, memory,
// ephemeral storage, scalar resources, pod slots and host ports.
bool FitsWithout(const sdk::PodView& pod, const sdk::NodeView& node,
                 const std::vector<const capstan_sched_pod_view*>& removed);

// Upstream's order of importance: higher priority, then older (earlier creation).
bool MoreImportant(const sdk::PodView& a, const sdk::PodView& b);

// The minimal victims on `node` among pods with lower priority than `pod`: all of them are
// removed, then each is reprieved (most important first) if the pod still fits. False when the
// pod does not fit even with all of them gone.
bool SelectVictims(const sdk::PodView& pod, const sdk::NodeView& node,
                   sdk::Span<capstan_sched_pod_view> pods,
                   std::vector<const capstan_sched_pod_view*>* out);

// The index of the best candidate: the lowest highest-victim priority, then the lowest sum of
// priorities, then the fewest victims, then the latest earliest-start among the highest-priority
// victims, then the first. `candidates` is not empty.
size_t PickCandidate(const std::vector<Candidate>& candidates);

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_DEFAULT_PREEMPTION_VICTIMS_H_
