// The Deployment controller's strategies: RollingUpdate, Recreate, proportional scaling, old
// ReplicaSet cleanup and rollout status (upstream rolling.go, recreate.go, sync.go, progress.go;
// see deployment_controller.h).
#include <algorithm>
#include <cmath>
#include <map>

#include "plugins/controllers/deployment/deployment_controller.h"
#include "plugins/controllers/deployment/deployment_util.h"

namespace capstan::controllers {
namespace {

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// Indices of `s.rss` other than the new RS, oldest first (rss is kept sorted by creation).
std::vector<size_t> OldIndices(const DeploymentController::Sync& s) {
  std::vector<size_t> out;
  for (size_t i = 0; i < s.rss.size(); ++i) {
    if (static_cast<int>(i) != s.new_rs) out.push_back(i);
  }
  return out;
}

}  // namespace

int64_t DeploymentController::NewRsNewReplicas(const Sync& s) const {
  if (!IsRollingUpdate(s.d)) return Replicas(s.d);
  const Json* rs = s.NewRs();
  int64_t current = SumReplicas(s.All());
  int64_t max_total = Replicas(s.d) + MaxSurge(s.d);
  if (current >= max_total) return Replicas(*rs);
  int64_t up = std::min(max_total - current, Replicas(s.d) - Replicas(*rs));
  return Replicas(*rs) + up;
}

bool DeploymentController::IsScalingEvent(const Sync& s) const {
  for (const Json* rs : s.All()) {
    if (Replicas(*rs) <= 0) continue;
    std::optional<int64_t> desired = AnnotationInt(*rs, kDesiredReplicas);
    if (desired && *desired != Replicas(s.d)) return true;
  }
  return false;
}

sdk::Status DeploymentController::RolloutRolling(Sync& s) {
  CAPSTAN_SDK_RETURN_IF_ERROR(SyncRevision(s, true));
  bool scaled = false;
  CAPSTAN_SDK_RETURN_IF_ERROR(ReconcileNewReplicaSet(s, &scaled));
  if (scaled) return SyncRolloutStatus(s);
  CAPSTAN_SDK_RETURN_IF_ERROR(ReconcileOldReplicaSets(s, &scaled));
  if (scaled) return SyncRolloutStatus(s);
  if (DeploymentComplete(s.d, s.d["status"])) CAPSTAN_SDK_RETURN_IF_ERROR(CleanupDeployment(s));
  return SyncRolloutStatus(s);
}

sdk::Status DeploymentController::ReconcileNewReplicaSet(Sync& s, bool* scaled) {
  *scaled = false;
  if (s.new_rs < 0) return sdk::Status::Ok();
  size_t idx = static_cast<size_t>(s.new_rs);
  int64_t want = Replicas(s.d);
  int64_t have = Replicas(s.rss[idx]);
  if (have == want) return sdk::Status::Ok();
  int64_t target = have > want ? want : NewRsNewReplicas(s);
  *scaled = target != have;
  return ScaleReplicaSet(s, idx, target);
}

sdk::Status DeploymentController::ReconcileOldReplicaSets(Sync& s, bool* scaled) {
  *scaled = false;
  std::vector<size_t> olds = OldIndices(s);
  int64_t old_pods = SumReplicas(s.Olds());
  if (old_pods == 0) return sdk::Status::Ok();
  int64_t all_pods = SumReplicas(s.All());
  int64_t min_available = Replicas(s.d) - MaxUnavailable(s.d);
  int64_t new_unavailable =
      s.NewRs() != nullptr ? Replicas(*s.NewRs()) - StatusCount(*s.NewRs(), "availableReplicas")
                           : 0;
  int64_t max_scaled_down = all_pods - min_available - new_unavailable;
  if (max_scaled_down <= 0) return sdk::Status::Ok();

  // First remove unhealthy replicas of old RSs: they add nothing to availability.
  int64_t cleaned = 0;
  for (size_t idx : olds) {
    if (cleaned >= max_scaled_down) break;
    const Json& rs = s.rss[idx];
    int64_t replicas = Replicas(rs);
    int64_t available = StatusCount(rs, "availableReplicas");
    if (replicas == 0 || replicas == available) continue;
    int64_t down = std::min(max_scaled_down - cleaned, replicas - available);
    CAPSTAN_SDK_RETURN_IF_ERROR(ScaleReplicaSet(s, idx, replicas - down));
    cleaned += down;
  }

  // Then scale down old RSs while availability stays above the minimum.
  int64_t scaled_down = 0;
  int64_t available_pods = SumStatus(s.All(), "availableReplicas");
  if (available_pods > min_available) {
    int64_t total = available_pods - min_available;
    for (size_t idx : olds) {
      if (scaled_down >= total) break;
      int64_t replicas = Replicas(s.rss[idx]);
      if (replicas == 0) continue;
      int64_t down = std::min(replicas, total - scaled_down);
      CAPSTAN_SDK_RETURN_IF_ERROR(ScaleReplicaSet(s, idx, replicas - down));
      scaled_down += down;
    }
  }
  *scaled = cleaned + scaled_down > 0;
  return sdk::Status::Ok();
}

bool DeploymentController::OldPodsRunning(const Sync& s) const {
  if (SumStatus(s.Olds(), "replicas") > 0) return true;
  std::map<std::string, bool> old_uids;
  for (const Json* rs : s.Olds()) old_uids[Uid(*rs)] = true;
  for (const Json& pod : s.pods) {
    const Json* ref = ControllerRef(pod);
    if (ref == nullptr || old_uids.count(GetStr(*ref, {"uid"})) == 0) continue;
    std::string phase = GetStr(pod, {"status", "phase"});
    if (phase == "Failed" || phase == "Succeeded") continue;
    return true;  // Pending, Running, Unknown: may still run
  }
  return false;
}

sdk::Status DeploymentController::RolloutRecreate(Sync& s) {
  CAPSTAN_SDK_RETURN_IF_ERROR(SyncRevision(s, false));
  bool scaled_down = false;
  for (size_t idx : OldIndices(s)) {
    if (Replicas(s.rss[idx]) == 0) continue;
    CAPSTAN_SDK_RETURN_IF_ERROR(ScaleReplicaSet(s, idx, 0));
    scaled_down = true;
  }
  if (scaled_down || OldPodsRunning(s)) return SyncRolloutStatus(s);
  if (s.new_rs < 0) CAPSTAN_SDK_RETURN_IF_ERROR(SyncRevision(s, true));
  if (s.new_rs >= 0) {
    CAPSTAN_SDK_RETURN_IF_ERROR(ScaleReplicaSet(s, static_cast<size_t>(s.new_rs), Replicas(s.d)));
  }
  if (DeploymentComplete(s.d, s.d["status"])) CAPSTAN_SDK_RETURN_IF_ERROR(CleanupDeployment(s));
  return SyncRolloutStatus(s);
}

sdk::Status DeploymentController::ScaleOnly(Sync& s) {
  CAPSTAN_SDK_RETURN_IF_ERROR(Scale(s));
  bool paused = sdk::json::FindPath(s.d, {"spec", "paused"}) != nullptr &&
                s.d["spec"]["paused"].is_boolean() && s.d["spec"]["paused"].get<bool>();
  if (paused) CAPSTAN_SDK_RETURN_IF_ERROR(CleanupDeployment(s));
  return SyncDeploymentStatus(s);
}

sdk::Status DeploymentController::Scale(Sync& s) {
  int64_t want = Replicas(s.d);
  // Only one active RS (or none): it takes the whole size.
  std::vector<size_t> active;
  for (size_t i = 0; i < s.rss.size(); ++i) {
    if (Replicas(s.rss[i]) > 0) active.push_back(i);
  }
  std::optional<size_t> target;
  if (active.size() == 1) {
    target = active[0];
  } else if (active.empty()) {
    if (s.new_rs >= 0) {
      target = static_cast<size_t>(s.new_rs);
    } else if (!s.rss.empty()) {
      target = s.rss.size() - 1;  // the newest
    }
  }
  if (target) {
    if (Replicas(s.rss[*target]) == want) return sdk::Status::Ok();
    return ScaleReplicaSet(s, *target, want);
  }
  if (active.empty()) return sdk::Status::Ok();

  // The new RS is saturated: old ones go to zero.
  const Json* nrs = s.NewRs();
  if (nrs != nullptr && Replicas(*nrs) == want && AnnotationInt(*nrs, kDesiredReplicas) == want &&
      StatusCount(*nrs, "availableReplicas") == want) {
    for (size_t idx : OldIndices(s)) {
      if (Replicas(s.rss[idx]) > 0) CAPSTAN_SDK_RETURN_IF_ERROR(ScaleReplicaSet(s, idx, 0));
    }
    return sdk::Status::Ok();
  }
  if (!IsRollingUpdate(s.d)) return sdk::Status::Ok();

  // Proportional scaling across the active RSs (upstream GetProportion / getReplicaSetFraction).
  int64_t current = 0;
  for (size_t idx : active) current += Replicas(s.rss[idx]);
  int64_t allowed = want > 0 ? want + MaxSurge(s.d) : 0;
  int64_t to_add = allowed - current;
  std::stable_sort(active.begin(), active.end(), [&](size_t a, size_t b) {
    int64_t ra = Replicas(s.rss[a]), rb = Replicas(s.rss[b]);
    if (ra != rb) return ra > rb;
    // Ties: newer first when adding, older first when removing.
    return to_add > 0 ? CreatedBefore(&s.rss[b], &s.rss[a]) : CreatedBefore(&s.rss[a], &s.rss[b]);
  });
  std::map<size_t, int64_t> sizes;
  int64_t added = 0;
  for (size_t idx : active) {
    const Json& rs = s.rss[idx];
    int64_t proportion = 0;
    if (to_add != 0 && to_add != added && Replicas(rs) != 0) {
      int64_t fraction;
      if (want == 0) {
        fraction = -Replicas(rs);
      } else {
        int64_t annotated =
            AnnotationInt(rs, kMaxReplicas).value_or(GetNum(s.d, {"status", "replicas"}));
        double size = annotated == 0 ? 0.0
                                     : static_cast<double>(Replicas(rs) * allowed) /
                                           static_cast<double>(annotated);
        fraction = static_cast<int64_t>(std::llround(size)) - Replicas(rs);
      }
      int64_t left = to_add - added;
      proportion = to_add > 0 ? std::min(fraction, left) : std::max(fraction, left);
    }
    sizes[idx] = Replicas(rs) + proportion;
    added += proportion;
  }
  if (int64_t leftover = to_add - added; leftover != 0 && !active.empty()) {
    sizes[active[0]] = std::max<int64_t>(0, sizes[active[0]] + leftover);
  }
  for (size_t idx : active) CAPSTAN_SDK_RETURN_IF_ERROR(ScaleReplicaSet(s, idx, sizes[idx]));
  return sdk::Status::Ok();
}

sdk::Status DeploymentController::CleanupDeployment(Sync& s) {
  const Json* limit_json = sdk::json::FindPath(s.d, {"spec", "revisionHistoryLimit"});
  if (limit_json == nullptr || !limit_json->is_number_integer()) return sdk::Status::Ok();
  int64_t limit = limit_json->get<int64_t>();
  std::vector<const Json*> cleanable;
  for (const Json* rs : s.Olds()) {
    if (!Deleting(*rs)) cleanable.push_back(rs);
  }
  int64_t diff = static_cast<int64_t>(cleanable.size()) - limit;
  if (diff <= 0) return sdk::Status::Ok();
  std::stable_sort(cleanable.begin(), cleanable.end(), [](const Json* a, const Json* b) {
    if (Revision(*a) != Revision(*b)) return Revision(*a) < Revision(*b);
    return CreatedBefore(a, b);
  });
  for (int64_t i = 0; i < diff; ++i) {
    const Json& rs = *cleanable[static_cast<size_t>(i)];
    // Only ReplicaSets that are fully scaled down and observed are deleted.
    if (StatusCount(rs, "replicas") != 0 || Replicas(rs) != 0 ||
        GetNum(rs, {"metadata", "generation"}) > StatusCount(rs, "observedGeneration")) {
      continue;
    }
    sdk::Status st = Send(*s.call, "DELETE",
                          ApiPath("apps/v1", "replicasets", Namespace(rs), Name(rs)), kJson, "");
    if (!st.ok() && st.code() != CAPSTAN_RC_NOT_FOUND) return st;
    overlay_.Forget(KeyOf(rs));
  }
  return sdk::Status::Ok();
}

sdk::Status DeploymentController::SyncDeploymentStatus(Sync& s) {
  return WriteStatus(s, CalculateStatus(s));
}

sdk::Status DeploymentController::SyncRolloutStatus(Sync& s) {
  Json status = CalculateStatus(s);
  int64_t now = clock_();
  if (!HasProgressDeadline(s.d)) RemoveCondition(status, "Progressing");
  const Json* current = GetCondition(s.d["status"], "Progressing");
  bool complete = GetNum(status, {"replicas"}) == GetNum(status, {"updatedReplicas"}) &&
                  current != nullptr && GetStr(*current, {"reason"}) == "NewReplicaSetAvailable";
  std::string subject = s.NewRs() != nullptr ? "ReplicaSet " + Quoted(Name(*s.NewRs()))
                                             : "Deployment " + Quoted(Name(s.d));
  if (HasProgressDeadline(s.d) && !complete) {
    if (DeploymentComplete(s.d, status)) {
      SetCondition(status, NewCondition("Progressing", "True", "NewReplicaSetAvailable",
                                        subject + " has successfully progressed.", now));
    } else if (DeploymentProgressing(s.d, status)) {
      Json cond = NewCondition("Progressing", "True", "ReplicaSetUpdated",
                               subject + " is progressing.", now);
      if (current != nullptr && GetStr(*current, {"status"}) == "True") {
        cond["lastTransitionTime"] = GetStr(*current, {"lastTransitionTime"});
      }
      RemoveCondition(status, "Progressing");
      SetCondition(status, std::move(cond));
    } else if (DeploymentTimedOut(s.d, status, now)) {
      SetCondition(status, NewCondition("Progressing", "False", "ProgressDeadlineExceeded",
                                        subject + " has timed out progressing.", now));
    }
  }
  // A ReplicaFailure of the new RS (or any RS) surfaces on the Deployment.
  const Json* failure = nullptr;
  for (const Json* rs : s.All()) {
    const Json* st = sdk::json::Find(*rs, "status");
    const Json* c = st != nullptr ? GetCondition(*st, "ReplicaFailure") : nullptr;
    if (c != nullptr && (failure == nullptr || rs == s.NewRs())) failure = c;
  }
  if (failure != nullptr) {
    Json cond = NewCondition("ReplicaFailure", GetStr(*failure, {"status"}),
                             GetStr(*failure, {"reason"}), GetStr(*failure, {"message"}), now);
    SetCondition(status, std::move(cond));
  } else {
    RemoveCondition(status, "ReplicaFailure");
  }

  CAPSTAN_SDK_RETURN_IF_ERROR(WriteStatus(s, status));

  // Re-check the progress deadline when it would pass (upstream requeueStuckDeployment).
  const Json* cond = GetCondition(s.d["status"], "Progressing");
  if (HasProgressDeadline(s.d) && cond != nullptr && !DeploymentComplete(s.d, status)) {
    std::string reason = GetStr(*cond, {"reason"});
    std::optional<int64_t> updated = ParseTime(GetStr(*cond, {"lastUpdateTime"}));
    if (reason != "NewReplicaSetAvailable" && reason != "ProgressDeadlineExceeded" && updated) {
      int64_t after = *updated + GetNum(s.d, {"spec", "progressDeadlineSeconds"}) - now;
      s.requeue_after_ms = static_cast<uint64_t>(std::max<int64_t>(after + 1, 1)) * 1000;
    }
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::controllers
