// The StatefulSet sync decision (see sync_plan.h).
#include "plugins/controllers/statefulset/sync_plan.h"

#include <algorithm>
#include <utility>

#include "plugins/controllers/statefulset/claim_retention.h"
#include "plugins/controllers/statefulset/stateful_pod.h"

namespace capstan::controllers {

void CountReplicas(const std::vector<Json>& pods, const SetState& state, Json& status) {
  int64_t min_ready = GetNum(state.set, {"spec", "minReadySeconds"});
  auto bump = [&status](const char* field) { status[field] = GetNum(status, {field}) + 1; };
  for (const Json& pod : pods) {
    if (IsCreated(pod)) bump("replicas");
    if (IsRunningAndReady(pod)) {
      bump("readyReplicas");
      if (IsRunningAndAvailable(pod, min_ready, state.now)) bump("availableReplicas");
    }
    if (IsCreated(pod) && !Deleting(pod)) {
      std::string revision = PodRevision(pod);
      if (revision == state.current_revision) bump("currentReplicas");
      if (revision == state.update_revision) bump("updatedReplicas");
    }
  }
}

namespace {

class Planner {
 public:
  explicit Planner(const SetState& s)
      : s_(s), monotonic_(!AllowsBurst(s.set)), min_ready_(MinReady(s.set)) {}

  SyncPlan Run();

 private:
  static int64_t MinReady(const Json& set) { return GetNum(set, {"spec", "minReadySeconds"}); }
  // Upstream processReplica / processCondemned: true means "stop here" in ordered mode.
  bool ProcessReplica(size_t i);
  bool ProcessCondemned(size_t i);
  bool ClaimsMatchPolicy(const Json& pod) const;
  bool ClaimIsStale(const Json& pod) const;
  bool ClaimsMissing(const Json& pod) const;
  Json NewPod(int64_t ordinal) const {
    return NewVersionedPod(s_.current_set, s_.update_set, s_.current_revision, s_.update_revision,
                           ordinal);
  }
  void Add(PodActionKind kind, const Json& pod, std::string reason = {}) {
    plan_.actions.push_back({kind, pod, std::move(reason)});
  }
  SyncPlan Finish();

  const SetState& s_;
  bool monotonic_;
  int64_t min_ready_;
  std::vector<Json> replicas_;   // index = ordinal - start; placeholders have no phase
  std::vector<Json> condemned_;  // out of range, highest ordinal first
  std::string first_unhealthy_;
  SyncPlan plan_;
};

bool Planner::ClaimsMatchPolicy(const Json& pod) const {
  for (const auto& [tmpl, claim] : PodClaims(s_.update_set, OrdinalOf(pod))) {
    auto it = s_.claims.find(Name(claim));
    if (it != s_.claims.end() && !ClaimOwnerUpToDate(it->second, s_.update_set, pod)) {
      return false;
    }
  }
  return true;
}

bool Planner::ClaimIsStale(const Json& pod) const {
  if (!RetentionOf(s_.set).delete_when_scaled) return false;  // claims are meant to be reused
  for (const auto& [tmpl, claim] : PodClaims(s_.set, OrdinalOf(pod))) {
    auto it = s_.claims.find(Name(claim));
    if (it != s_.claims.end() && HasStaleOwnerRef(it->second, pod, "v1", "Pod")) return true;
  }
  return false;
}

bool Planner::ClaimsMissing(const Json& pod) const {
  for (const auto& [tmpl, claim] : PodClaims(s_.set, OrdinalOf(pod))) {
    if (s_.claims.count(Name(claim)) == 0) return true;
  }
  return false;
}

bool Planner::ProcessReplica(size_t i) {
  Json& pod = replicas_[i];
  int64_t ordinal = StartOrdinal(s_.set) + static_cast<int64_t>(i);
  // A failed or succeeded pod is replaced whatever its exit code (upstream restarts it).
  if (IsPodPhase(pod, "Failed") || IsPodPhase(pod, "Succeeded")) {
    Add(PodActionKind::kDelete, pod,
        IsPodPhase(pod, "Failed") ? "RecreatingFailedPod" : "RecreatingTerminatedPod");
    pod = NewPod(ordinal);
  }
  if (!IsCreated(pod)) {
    // A claim still owned by an earlier pod of this name waits for the garbage collector.
    if (ClaimIsStale(pod)) return true;
    Add(PodActionKind::kCreate, pod);
    // Ordered: one create per sync. Parallel: the new pod has nothing more to check.
    return monotonic_;
  }
  if (IsPodPhase(pod, "Pending") && ClaimsMissing(pod)) Add(PodActionKind::kCreateClaims, pod);
  if (monotonic_ && (Deleting(pod) || !IsRunningAndReady(pod) ||
                     !IsRunningAndAvailable(pod, min_ready_, s_.now))) {
    return true;
  }
  bool identity = IdentityMatches(s_.update_set, pod);
  bool storage = StorageMatches(s_.update_set, pod);
  if (!identity || !storage) {
    Json fixed = pod;
    if (!identity) UpdateIdentity(s_.update_set, fixed);
    if (!storage) UpdateStorage(s_.update_set, fixed);
    Add(PodActionKind::kUpdate, fixed);
  }
  if (!ClaimsMatchPolicy(pod)) Add(PodActionKind::kFixClaimRefs, pod);
  return false;
}

bool Planner::ProcessCondemned(size_t i) {
  const Json& pod = condemned_[i];
  if (Deleting(pod)) return monotonic_;  // ordered: wait for it to go
  if (monotonic_ && Name(pod) != first_unhealthy_ &&
      (!IsRunningAndReady(pod) || !IsRunningAndAvailable(pod, min_ready_, s_.now))) {
    return true;
  }
  Add(PodActionKind::kDelete, pod, "ScaleDown");
  return true;
}

SyncPlan Planner::Finish() {
  Json& st = plan_.status;
  for (const char* f :
       {"replicas", "readyReplicas", "availableReplicas", "currentReplicas", "updatedReplicas"}) {
    st[f] = 0;
  }
  CountReplicas(replicas_, s_, st);
  CountReplicas(condemned_, s_, st);
  return std::move(plan_);
}

SyncPlan Planner::Run() {
  plan_.status = {{"observedGeneration", GetNum(s_.set, {"metadata", "generation"})},
                  {"currentRevision", s_.current_revision},
                  {"updateRevision", s_.update_revision},
                  {"collisionCount", s_.collision_count}};
  int64_t start = StartOrdinal(s_.set);
  int64_t count = std::max<int64_t>(SetReplicas(s_.set), 0);
  replicas_.assign(static_cast<size_t>(count), Json());
  for (const Json& pod : s_.pods) {
    int64_t ordinal = OrdinalOf(pod);
    if (InOrdinalRange(s_.set, pod)) {
      replicas_[static_cast<size_t>(ordinal - start)] = pod;
    } else if (ordinal >= 0) {
      condemned_.push_back(pod);
    }
  }
  for (size_t i = 0; i < replicas_.size(); ++i) {
    if (replicas_[i].is_null()) replicas_[i] = NewPod(start + static_cast<int64_t>(i));
  }
  std::sort(condemned_.begin(), condemned_.end(),
            [](const Json& a, const Json& b) { return OrdinalOf(a) > OrdinalOf(b); });
  for (const Json& pod : replicas_) {
    if (first_unhealthy_.empty() && !IsHealthy(pod)) first_unhealthy_ = Name(pod);
  }
  for (auto it = condemned_.rbegin(); it != condemned_.rend(); ++it) {
    if (first_unhealthy_.empty() && !IsHealthy(*it)) first_unhealthy_ = Name(*it);
  }
  if (Deleting(s_.set)) return Finish();

  for (size_t i = 0; i < replicas_.size(); ++i) {
    if (ProcessReplica(i) && monotonic_) {
      plan_.waiting = true;
      return Finish();
    }
  }
  for (const Json& pod : condemned_) {
    if (!ClaimsMatchPolicy(pod)) Add(PodActionKind::kFixClaimRefs, pod);
  }
  // Ordered: every replica is Running, Ready and available; scale down one pod at a time from
  // the highest ordinal. Scaling takes precedence over updates.
  for (size_t i = 0; i < condemned_.size(); ++i) {
    if (ProcessCondemned(i) && monotonic_) {
      plan_.waiting = true;
      return Finish();
    }
  }
  if (IsOnDelete(s_.set)) return Finish();

  // Rolling update: the highest ordinal not at the update revision goes first; each replaced
  // pod must be healthy before the next one is touched.
  int64_t update_min = Partition(s_.set);
  int64_t replaced = 0;
  for (int64_t target = count - 1; target >= update_min; --target) {
    const Json& pod = replicas_[static_cast<size_t>(target)];
    if (PodRevision(pod) != s_.update_revision && !Deleting(pod)) {
      Add(PodActionKind::kDelete, pod, "Update");
      replaced = 1;
      plan_.waiting = true;
      break;
    }
    if (!IsHealthy(pod)) {
      plan_.waiting = true;
      break;
    }
  }
  SyncPlan out = Finish();
  out.status["currentReplicas"] = GetNum(out.status, {"currentReplicas"}) - replaced;
  return out;
}

}  // namespace

SyncPlan PlanSync(const SetState& state) {
  SyncPlan plan = Planner(state).Run();
  // Upstream completeRollingUpdate: once every pod is updated and ready the update revision
  // becomes the current one.
  Json& st = plan.status;
  if (!IsOnDelete(state.set) && GetNum(st, {"updatedReplicas"}) == GetNum(st, {"replicas"}) &&
      GetNum(st, {"readyReplicas"}) == GetNum(st, {"replicas"})) {
    st["currentReplicas"] = st["updatedReplicas"];
    st["currentRevision"] = st["updateRevision"];
  }
  return plan;
}

}  // namespace capstan::controllers
