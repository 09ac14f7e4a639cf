// Scale-down order of a ReplicaSet's pods (see pod_ranking.h).
#include "plugins/controllers/replicaset/pod_ranking.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <numeric>
#include <optional>
#include <string>

namespace capstan::controllers {
namespace {

int PhaseOrder(const Json& pod) {
  std::string phase = GetStr(pod, {"status", "phase"});
  if (phase == "Pending" || phase.empty()) return 0;
  if (phase == "Unknown") return 1;
  if (phase == "Running") return 2;
  return 3;
}

int64_t DeletionCost(const Json& pod) {
  std::string v =
      GetStr(pod, {"metadata", "annotations", "controller.kubernetes.io/pod-deletion-cost"});
  if (v.empty()) return 0;
  char* end = nullptr;
  long long cost = std::strtoll(v.c_str(), &end, 10);
  return end != nullptr && *end == '\0' ? static_cast<int64_t>(cost) : 0;
}

int64_t MaxRestarts(const Json& pod) {
  int64_t max = 0;
  const Json* statuses = sdk::json::FindPath(pod, {"status", "containerStatuses"});
  if (statuses == nullptr || !statuses->is_array()) return 0;
  for (const Json& s : *statuses) max = std::max(max, GetNum(s, {"restartCount"}));
  return max;
}

// floor(log2(age in ns)), or -1 for a time at or after `now` (upstream logarithmicRankDiff).
int64_t LogRank(int64_t t, int64_t now) {
  int64_t age = now - t;
  if (age <= 0) return -1;
  return static_cast<int64_t>(std::log2(static_cast<double>(age) * 1e9));
}

// Newer first; a missing time before any time; equal log-ranks tie-broken by uid.
std::optional<bool> CompareTimes(std::optional<int64_t> ta, std::optional<int64_t> tb,
                                 const Json& a, const Json& b, int64_t now) {
  if (ta == tb) return std::nullopt;
  if (!ta || !tb) return !ta.has_value();
  int64_t diff = LogRank(*ta, now) - LogRank(*tb, now);
  if (diff == 0) return Uid(a) < Uid(b);
  return diff < 0;
}

}  // namespace

bool DeleteBefore(const Json& a, int64_t rank_a, const Json& b, int64_t rank_b, int64_t now) {
  std::string node_a = GetStr(a, {"spec", "nodeName"});
  std::string node_b = GetStr(b, {"spec", "nodeName"});
  if (node_a.empty() != node_b.empty()) return node_a.empty();
  if (PhaseOrder(a) != PhaseOrder(b)) return PhaseOrder(a) < PhaseOrder(b);
  bool ready_a = IsPodReady(a);
  bool ready_b = IsPodReady(b);
  if (ready_a != ready_b) return !ready_a;
  if (DeletionCost(a) != DeletionCost(b)) return DeletionCost(a) < DeletionCost(b);
  if (rank_a != rank_b) return rank_a > rank_b;
  if (ready_a && ready_b) {
    if (auto r = CompareTimes(PodReadySince(a), PodReadySince(b), a, b, now)) return *r;
  }
  if (MaxRestarts(a) != MaxRestarts(b)) return MaxRestarts(a) > MaxRestarts(b);
  auto created = [](const Json& p) {
    return ParseTime(GetStr(p, {"metadata", "creationTimestamp"}));
  };
  if (auto r = CompareTimes(created(a), created(b), a, b, now)) return *r;
  return false;
}

std::vector<const Json*> PodsToDelete(const std::vector<const Json*>& pods, int64_t count,
                                      int64_t now) {
  if (count >= static_cast<int64_t>(pods.size())) return pods;
  // Pods of the same owner doubled up on one node go first (upstream ranks by related pods).
  std::map<std::string, int64_t> on_node;
  for (const Json* p : pods) ++on_node[GetStr(*p, {"spec", "nodeName"})];
  std::vector<size_t> order(pods.size());
  std::iota(order.begin(), order.end(), 0);
  auto rank = [&](size_t i) { return on_node[GetStr(*pods[i], {"spec", "nodeName"})]; };
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return DeleteBefore(*pods[x], rank(x), *pods[y], rank(y), now);
  });
  std::vector<const Json*> out;
  out.reserve(static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (int64_t i = 0; i < count; ++i) out.push_back(pods[order[static_cast<size_t>(i)]]);
  return out;
}

}  // namespace capstan::controllers
