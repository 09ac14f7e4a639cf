// Victim selection; see victims.h.
#include "plugins/sched/default-preemption/victims.h"

#include <algorithm>
#include <limits>

#include "plugins/sched/common/sched_util.h"

namespace capstan::sched {
namespace {

int64_t Removed(const std::vector<const capstan_sched_pod_view*>& removed,
                int64_t capstan_sched_resources::*field) {
  int64_t sum = 0;
  for (const capstan_sched_pod_view* p : removed) sum += sdk::PodView(p).requests().*field;
  return sum;
}

int64_t RemovedScalar(const std::vector<const capstan_sched_pod_view*>& removed,
                      std::string_view name) {
  int64_t sum = 0;
  for (const capstan_sched_pod_view* p : removed) sum += ScalarOf(sdk::PodView(p).requests(), name);
  return sum;
}

bool Fits(int64_t want, int64_t alloc, int64_t used) { return want <= 0 || want <= alloc - used; }

// Whether `port` (used on the node) belongs to a removed pod; `taken` marks removed pods' ports
// already matched, so two identical used ports need two removed owners.
bool OwnedByRemoved(const capstan_sched_host_port& port,
                    const std::vector<const capstan_sched_pod_view*>& removed,
                    std::vector<std::vector<bool>>* taken) {
  for (size_t i = 0; i < removed.size(); ++i) {
    sdk::Span<capstan_sched_host_port> ports = sdk::PodView(removed[i]).host_ports();
    for (size_t j = 0; j < ports.size(); ++j) {
      const capstan_sched_host_port& q = ports[j];
      if ((*taken)[i][j] || q.port != port.port || q.protocol != port.protocol ||
          sdk::ToView(q.host_ip) != sdk::ToView(port.host_ip)) {
        continue;
      }
      (*taken)[i][j] = true;
      return true;
    }
  }
  return false;
}

}  // namespace

bool FitsWithout(const sdk::PodView& pod, const sdk::NodeView& node,
                 const std::vector<const capstan_sched_pod_view*>& removed) {
  const capstan_sched_resources want = pod.requests();
  const capstan_sched_resources alloc = node.allocatable();
  const capstan_sched_resources used = node.requested();
  using R = capstan_sched_resources;
  if (int64_t{node.pod_count()} - static_cast<int64_t>(removed.size()) + 1 > alloc.pods) {
    return false;
  }
  if (!Fits(want.milli_cpu, alloc.milli_cpu, used.milli_cpu - Removed(removed, &R::milli_cpu)) ||
      !Fits(want.memory, alloc.memory, used.memory - Removed(removed, &R::memory)) ||
      !Fits(want.ephemeral_storage, alloc.ephemeral_storage,
            used.ephemeral_storage - Removed(removed, &R::ephemeral_storage))) {
    return false;
  }
  for (uint32_t i = 0; i < want.scalar_count && want.scalars != nullptr; ++i) {
    std::string_view name = sdk::ToView(want.scalars[i].name);
    if (!Fits(want.scalars[i].value, ScalarOf(alloc, name),
              ScalarOf(used, name) - RemovedScalar(removed, name))) {
      return false;
    }
  }
  if (pod.host_ports().empty()) return true;
  std::vector<std::vector<bool>> taken;
  taken.reserve(removed.size());
  for (const capstan_sched_pod_view* p : removed) {
    taken.emplace_back(sdk::PodView(p).host_ports().size(), false);
  }
  for (const capstan_sched_host_port& used_port : node.used_host_ports()) {
    if (OwnedByRemoved(used_port, removed, &taken)) continue;
    for (const capstan_sched_host_port& want_port : pod.host_ports()) {
      if (want_port.port > 0 && HostPortsConflict(want_port, used_port)) return false;
    }
  }
  return true;
}

bool MoreImportant(const sdk::PodView& a, const sdk::PodView& b) {
  if (a.priority() != b.priority()) return a.priority() > b.priority();
  return a.creation_unix_ms() < b.creation_unix_ms();
}

bool SelectVictims(const sdk::PodView& pod, const sdk::NodeView& node,
                   sdk::Span<capstan_sched_pod_view> pods,
                   std::vector<const capstan_sched_pod_view*>* out) {
  out->clear();
  std::vector<const capstan_sched_pod_view*> lower;
  for (const capstan_sched_pod_view& p : pods) {
    if (sdk::PodView(&p).priority() < pod.priority()) lower.push_back(&p);
  }
  if (lower.empty() || !FitsWithout(pod, node, lower)) return false;
  std::sort(lower.begin(), lower.end(), [](const auto* a, const auto* b) {
    return MoreImportant(sdk::PodView(a), sdk::PodView(b));
  });
  // Reprieve the most important pods first: put each back and keep it if the pod still fits.
  std::vector<const capstan_sched_pod_view*> removed = lower;
  for (const capstan_sched_pod_view* p : lower) {
    removed.erase(std::find(removed.begin(), removed.end(), p));
    if (!FitsWithout(pod, node, removed)) {
      removed.push_back(p);
      out->push_back(p);
    }
  }
  return true;
}

size_t PickCandidate(const std::vector<Candidate>& candidates) {
  auto highest = [](const Candidate& c) {
    return c.victims.empty() ? std::numeric_limits<int64_t>::min()
                             : int64_t{sdk::PodView(c.victims[0]).priority()};
  };
  auto sum = [](const Candidate& c) {
    int64_t s = 0;
    // Shifted to be positive, as upstream, so fewer low-priority victims still sum lower.
    for (const auto* v : c.victims) {
      s += int64_t{sdk::PodView(v).priority()} + std::numeric_limits<int32_t>::max() + 1;
    }
    return s;
  };
  auto earliest_top = [&](const Candidate& c) {
    int64_t earliest = std::numeric_limits<int64_t>::max();
    for (const auto* v : c.victims) {
      sdk::PodView p(v);
      if (p.priority() == highest(c)) earliest = std::min(earliest, p.creation_unix_ms());
    }
    return earliest;
  };
  size_t best = 0;
  for (size_t i = 1; i < candidates.size(); ++i) {
    const Candidate& a = candidates[i];
    const Candidate& b = candidates[best];
    if (highest(a) != highest(b)) {
      if (highest(a) < highest(b)) best = i;
    } else if (sum(a) != sum(b)) {
      if (sum(a) < sum(b)) best = i;
    } else if (a.victims.size() != b.victims.size()) {
      if (a.victims.size() < b.victims.size()) best = i;
    } else if (earliest_top(a) > earliest_top(b)) {
      best = i;
    }
  }
  return best;
}

}  // namespace capstan::sched
