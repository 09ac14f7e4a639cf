// DaemonSet controller decisions (see daemon_plan.h).
#include "plugins/controllers/daemonset/daemon_plan.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "plugins/controllers/kit/history.h"

namespace capstan::controllers {
namespace {

constexpr int64_t kBackoffInitialSeconds = 1;
constexpr int64_t kBackoffMaxSeconds = 15 * 60;

bool IsRollingUpdate(const Json& ds) {
  return GetStr(ds, {"spec", "updateStrategy", "type"}, "RollingUpdate") == "RollingUpdate";
}

// intstr.GetScaledValueFromIntOrPercent with rounding up; `fallback` when absent or malformed.
int64_t Scaled(const Json* v, int64_t total, int64_t fallback) {
  if (v == nullptr || v->is_null()) return fallback;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (!v->is_string()) return fallback;
  const std::string& s = v->get_ref<const std::string&>();
  char* end = nullptr;
  long long n = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size() - 1 || s.back() != '%') return fallback;
  return (static_cast<int64_t>(n) * total + 99) / 100;
}

const Json* RollingParam(const Json& ds, const char* field) {
  return sdk::json::FindPath(ds, {"spec", "updateStrategy", "rollingUpdate", field});
}

bool Terminal(const Json& pod, const char* phase) {
  return GetStr(pod, {"status", "phase"}) == phase;
}

const NodeState* FindNode(const std::vector<NodeState>& nodes, const std::string& name) {
  for (const NodeState& n : nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

// Upstream findUpdatedPodsOnNode: at most one new and one old live pod; false when more.
bool SplitNodePods(const std::vector<Json>& pods, const std::string& hash,
                   std::optional<int64_t> generation, const Json** new_pod, const Json** old_pod) {
  *new_pod = nullptr;
  *old_pod = nullptr;
  for (const Json& pod : pods) {
    if (Deleting(pod)) continue;
    const Json** slot = IsPodUpdated(pod, hash, generation) ? new_pod : old_pod;
    if (*slot != nullptr) return false;
    *slot = &pod;
  }
  return true;
}

}  // namespace

std::optional<int64_t> TemplateGeneration(const Json& daemon_set) {
  std::string v =
      GetStr(daemon_set, {"metadata", "annotations", "deprecated.daemonset.template.generation"});
  if (v.empty()) return std::nullopt;
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (end != v.c_str() + v.size()) return std::nullopt;
  return static_cast<int64_t>(n);
}

bool IsPodUpdated(const Json& pod, const std::string& hash,
                  std::optional<int64_t> template_generation) {
  bool template_matches = template_generation.has_value() &&
                          GetStr(pod, {"metadata", "labels", "pod-template-generation"}, "\x01") ==
                              std::to_string(*template_generation);
  bool hash_matches =
      !hash.empty() && GetStr(pod, {"metadata", "labels", kControllerRevisionHashLabel}) == hash;
  return hash_matches || template_matches;
}

int64_t SurgeCount(const Json& daemon_set, int64_t desired) {
  if (!IsRollingUpdate(daemon_set)) return 0;
  return Scaled(RollingParam(daemon_set, "maxSurge"), desired, 0);
}

int64_t UnavailableCount(const Json& daemon_set, int64_t desired) {
  if (!IsRollingUpdate(daemon_set)) return 0;
  return Scaled(RollingParam(daemon_set, "maxUnavailable"), desired, 1);
}

bool AllowsSurge(const Json& daemon_set) { return SurgeCount(daemon_set, 1) != 0; }

void SortDaemonPods(std::vector<Json>& pods) {
  std::stable_sort(pods.begin(), pods.end(), [](const Json& a, const Json& b) {
    bool sa = !GetStr(a, {"spec", "nodeName"}).empty();
    bool sb = !GetStr(b, {"spec", "nodeName"}).empty();
    if (sa != sb) return sa;
    std::optional<int64_t> ta = ParseTime(GetStr(a, {"metadata", "creationTimestamp"}));
    std::optional<int64_t> tb = ParseTime(GetStr(b, {"metadata", "creationTimestamp"}));
    if (ta != tb) return ta < tb;
    return Name(a) < Name(b);
  });
}

int64_t FailedPodBackoff::Remaining(const std::string& key, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  int64_t left = it->second.last_update + it->second.duration - now;
  return left > 0 ? left : 0;
}

void FailedPodBackoff::Next(const std::string& key, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  // Forget entries idle past twice the maximum (upstream GC), so the map stays small.
  for (auto it = entries_.begin(); it != entries_.end();) {
    bool stale = now - it->second.last_update > 2 * kBackoffMaxSeconds;
    it = stale ? entries_.erase(it) : std::next(it);
  }
  Entry& e = entries_[key];
  e.duration =
      e.duration == 0 ? kBackoffInitialSeconds : std::min(e.duration * 2, kBackoffMaxSeconds);
  e.last_update = now;
}

DaemonActions PlanManage(const Json& daemon_set, const std::vector<NodeState>& nodes,
                         const NodePods& node_pods, const std::string& hash, int64_t now,
                         FailedPodBackoff& backoff) {
  DaemonActions out;
  bool surge = AllowsSurge(daemon_set);
  int64_t min_ready = GetNum(daemon_set, {"spec", "minReadySeconds"});
  std::string backoff_prefix =
      Uid(daemon_set) + "/" + std::to_string(GetNum(daemon_set, {"status", "observedGeneration"})) +
      "/";
  for (const NodeState& node : nodes) {
    auto found = node_pods.find(node.name);
    bool exists = found != node_pods.end();
    if (node.placement.should_run && !exists) {
      out.create_on.push_back(node.name);
      continue;
    }
    if (!exists) continue;
    if (!node.placement.should_continue_running) {
      for (const Json& pod : found->second) {
        if (!Deleting(pod)) out.delete_pods.push_back(pod);
      }
      continue;
    }
    std::vector<Json> running;
    for (const Json& pod : found->second) {
      if (Deleting(pod)) continue;
      if (Terminal(pod, "Failed")) {
        // Daemon pods rejected by a node fail at once: back off instead of hot-looping.
        std::string key = backoff_prefix + node.name;
        if (int64_t left = backoff.Remaining(key, now); left > 0) {
          if (out.requeue_after_seconds == 0 || left < out.requeue_after_seconds) {
            out.requeue_after_seconds = left;
          }
          continue;
        }
        backoff.Next(key, now);
        out.failed_pods.push_back(pod);
        out.delete_pods.push_back(pod);
      } else if (Terminal(pod, "Succeeded")) {
        out.delete_pods.push_back(pod);
      } else {
        running.push_back(pod);
      }
    }
    if (!surge) {
      SortDaemonPods(running);
      for (size_t i = 1; i < running.size(); ++i) out.delete_pods.push_back(running[i]);
      continue;
    }
    if (running.size() <= 1) {
      if (running.empty() && node.placement.should_run) out.create_on.push_back(node.name);
      continue;
    }
    // With surge two pods may share a node while the oldest new one is not yet available and
    // the oldest old one still is; everything else goes.
    SortDaemonPods(running);
    const Json* oldest_new = nullptr;
    const Json* oldest_old = nullptr;
    for (const Json& pod : running) {
      bool updated = GetStr(pod, {"metadata", "labels", kControllerRevisionHashLabel}) == hash;
      const Json*& slot = updated ? oldest_new : oldest_old;
      if (slot == nullptr) {
        slot = &pod;
        continue;
      }
      out.delete_pods.push_back(pod);
    }
    if (oldest_new != nullptr && oldest_old != nullptr &&
        (!IsPodReady(*oldest_old) || IsPodAvailable(*oldest_new, min_ready, now))) {
      out.delete_pods.push_back(*oldest_old);
    }
  }
  // Unscheduled pods pinned to nodes that no longer exist never get scheduled; nobody else
  // collects them.
  for (const auto& [node, pods] : node_pods) {
    if (FindNode(nodes, node) != nullptr) continue;
    for (const Json& pod : pods) {
      if (GetStr(pod, {"spec", "nodeName"}).empty() && !Deleting(pod)) {
        out.delete_pods.push_back(pod);
      }
    }
  }
  return out;
}

DaemonActions PlanRollingUpdate(const Json& daemon_set, const std::vector<NodeState>& nodes,
                                NodePods node_pods, const std::string& hash, int64_t now) {
  int64_t desired = 0;
  for (const NodeState& n : nodes) {
    if (!n.placement.should_run) continue;
    ++desired;
    node_pods.try_emplace(n.name);
  }
  int64_t max_surge = SurgeCount(daemon_set, desired);
  int64_t max_unavailable = UnavailableCount(daemon_set, desired);
  if (desired > 0 && max_surge == 0 && max_unavailable == 0) max_unavailable = 1;
  int64_t min_ready = GetNum(daemon_set, {"spec", "minReadySeconds"});
  std::optional<int64_t> generation = TemplateGeneration(daemon_set);
  auto available = [&](const Json* pod) { return IsPodAvailable(*pod, min_ready, now); };
  DaemonActions out;

  if (max_surge == 0) {
    int64_t unavailable = 0;
    std::vector<Json> replacements, candidates;
    for (const auto& [node, pods] : node_pods) {
      const Json* new_pod = nullptr;
      const Json* old_pod = nullptr;
      if (!SplitNodePods(pods, hash, generation, &new_pod, &old_pod)) {
        ++unavailable;  // surplus pods: manage cleans up first
        continue;
      }
      if ((old_pod == nullptr) == (new_pod == nullptr)) {
        ++unavailable;  // none yet, or both: manage creates or deletes
      } else if (new_pod != nullptr) {
        if (!available(new_pod)) ++unavailable;
      } else if (!available(old_pod)) {
        replacements.push_back(*old_pod);
        ++unavailable;
      } else if (unavailable < max_unavailable) {
        candidates.push_back(*old_pod);
      }
    }
    int64_t remaining = std::clamp<int64_t>(max_unavailable - unavailable, 0,
                                            static_cast<int64_t>(candidates.size()));
    out.delete_pods = std::move(replacements);
    out.delete_pods.insert(out.delete_pods.end(), candidates.begin(),
                           candidates.begin() + remaining);
    return out;
  }

  int64_t surge = 0;
  int64_t num_available = 0;
  std::vector<std::string> allowed_new, candidate_new;
  std::vector<Json> should_not_run;
  for (const auto& [node, pods] : node_pods) {
    const Json* new_pod = nullptr;
    const Json* old_pod = nullptr;
    if (!SplitNodePods(pods, hash, generation, &new_pod, &old_pod)) {
      ++surge;
      continue;
    }
    const Json* counted = old_pod != nullptr ? old_pod : new_pod;
    if (counted != nullptr && available(counted)) ++num_available;
    if (old_pod == nullptr) continue;  // manage handles it
    const NodeState* state = FindNode(nodes, node);
    bool should_run = state != nullptr && state->placement.should_run;
    if (new_pod == nullptr) {
      if (!available(old_pod)) {
        if (!should_run) {
          out.delete_pods.push_back(*old_pod);
        } else {
          allowed_new.push_back(node);
        }
      } else if (!should_run) {
        should_not_run.push_back(*old_pod);
      } else if (surge < max_surge) {
        candidate_new.push_back(node);
      }
    } else if (!available(new_pod)) {
      ++surge;
    } else {
      out.delete_pods.push_back(*old_pod);
    }
  }
  // Pods on nodes that stopped qualifying go only once enough others are available elsewhere.
  int64_t deletable =
      std::clamp<int64_t>(num_available - desired, 0, static_cast<int64_t>(should_not_run.size()));
  out.delete_pods.insert(out.delete_pods.end(), should_not_run.begin(),
                         should_not_run.begin() + deletable);
  int64_t remaining =
      std::clamp<int64_t>(max_surge - surge, 0, static_cast<int64_t>(candidate_new.size()));
  out.create_on = std::move(allowed_new);
  out.create_on.insert(out.create_on.end(), candidate_new.begin(),
                       candidate_new.begin() + remaining);
  return out;
}

Json DaemonSetStatus(const Json& daemon_set, const std::vector<NodeState>& nodes,
                     const NodePods& node_pods, const std::string& hash, int64_t now,
                     bool observe_generation) {
  int64_t desired = 0, current = 0, misscheduled = 0, ready = 0, updated = 0, available = 0;
  int64_t min_ready = GetNum(daemon_set, {"spec", "minReadySeconds"});
  std::optional<int64_t> generation = TemplateGeneration(daemon_set);
  for (const NodeState& node : nodes) {
    auto found = node_pods.find(node.name);
    bool scheduled = found != node_pods.end() && !found->second.empty();
    if (!node.placement.should_run) {
      if (scheduled) ++misscheduled;
      continue;
    }
    ++desired;
    if (!scheduled) continue;
    ++current;
    std::vector<Json> pods = found->second;
    SortDaemonPods(pods);
    const Json& pod = pods.front();
    if (IsPodReady(pod)) {
      ++ready;
      if (IsPodAvailable(pod, min_ready, now)) ++available;
    }
    if (IsPodUpdated(pod, hash, generation)) ++updated;
  }
  const Json* existing = sdk::json::Find(daemon_set, "status");
  Json status = existing != nullptr && existing->is_object() ? *existing : Json::object();
  status["desiredNumberScheduled"] = desired;
  status["currentNumberScheduled"] = current;
  status["numberMisscheduled"] = misscheduled;
  status["numberReady"] = ready;
  status["updatedNumberScheduled"] = updated;
  status["numberAvailable"] = available;
  status["numberUnavailable"] = desired - available;
  if (observe_generation)
    status["observedGeneration"] = GetNum(daemon_set, {"metadata", "generation"});
  return status;
}

}  // namespace capstan::controllers
