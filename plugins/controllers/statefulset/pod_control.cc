// The StatefulSet controller's writes (upstream StatefulPodControl): claims before pods, pod
// creates, deletes and identity updates, claim ownerReferences for the retention policy, and the
// events `kubectl describe sts` shows. Declared in stateful_set_controller.h.
#include "plugins/controllers/statefulset/claim_retention.h"
#include "plugins/controllers/statefulset/stateful_pod.h"
#include "plugins/controllers/statefulset/stateful_set_controller.h"

namespace capstan::controllers {
namespace {

constexpr char kComponent[] = "statefulset-controller";

// An API failure as the sync's outcome: retryable ones stay retryable, the rest are errors.
sdk::Status Failed(const sdk::Status& s) {
  return s.code() == CAPSTAN_RC_RETRY_LATER ? s : sdk::Status::Error(s.message());
}

}  // namespace

void StatefulSetController::Event(sdk::Call& call, const Json& set, std::string_view type,
                                  std::string_view reason, const std::string& message) {
  RecordEvent(call, set, kAppsV1, kStatefulSetKind, kComponent, type, reason, message, clock_());
}

sdk::Status StatefulSetController::Execute(sdk::Call& call, const std::string& key,
                                           const SetState& state,
                                           const std::vector<PodAction>& actions) {
  for (const PodAction& action : actions) {
    if (call.Cancelled()) return sdk::Status::DeadlineExceeded("cancelled during the sync");
    sdk::Status s;
    switch (action.kind) {
      case PodActionKind::kCreate:
        s = CreatePod(call, key, state, action.pod);
        break;
      case PodActionKind::kDelete:
        s = DeletePod(call, key, state.set, action);
        break;
      case PodActionKind::kUpdate:
        s = UpdatePod(call, state, action.pod);
        break;
      case PodActionKind::kCreateClaims:
        s = CreateClaims(call, state, action.pod);
        break;
      case PodActionKind::kFixClaimRefs:
        s = FixClaimRefs(call, state, action.pod);
        break;
    }
    if (!s.ok()) return s;
  }
  return sdk::Status::Ok();
}

sdk::Status StatefulSetController::CreateClaims(sdk::Call& call, const SetState& state,
                                                const Json& pod) {
  std::string failures;
  for (const auto& [tmpl, claim] : PodClaims(state.set, OrdinalOf(pod))) {
    auto it = state.claims.find(Name(claim));
    if (it != state.claims.end()) {
      if (Deleting(it->second)) failures += "pvc " + Name(claim) + " is being deleted; ";
      continue;
    }
    sdk::Status s = Send(call, "POST", ApiPath("v1", "persistentvolumeclaims", Namespace(claim)),
                         kJson, sdk::json::Dump(claim));
    // The cache may not show a claim created by an earlier sync yet: it exists, which is all
    // the pod needs.
    if (s.code() == CAPSTAN_RC_ALREADY_EXISTS) continue;
    if (s.ok()) {
      Event(call, state.set, "Normal", "SuccessfulCreate",
            "create Claim " + Name(claim) + " Pod " + Name(pod) + " in StatefulSet " +
                Name(state.set) + " success");
    } else {
      Event(call, state.set, "Warning", "FailedCreate",
            "create Claim " + Name(claim) + " for Pod " + Name(pod) + " in StatefulSet " +
                Name(state.set) + " failed error: " + s.message());
      failures += "failed to create PVC " + Name(claim) + ": " + s.message() + "; ";
    }
  }
  if (failures.empty()) return sdk::Status::Ok();
  return sdk::Status::RetryLater(failures, 1000);
}

sdk::Status StatefulSetController::CreatePod(sdk::Call& call, const std::string& key,
                                             const SetState& state, const Json& pod) {
  const Json& set = state.set;
  std::string what = "create Pod " + Name(pod) + " in StatefulSet " + Name(set);
  sdk::Status s = CreateClaims(call, state, pod);
  if (!s.ok()) {
    Event(call, set, "Warning", "FailedCreate", what + " failed error: " + s.message());
    return s;
  }
  Json created;
  s = Send(call, "POST", ApiPath("v1", "pods", Namespace(set)), kJson, sdk::json::Dump(pod),
           &created);
  if (s.code() == CAPSTAN_RC_ALREADY_EXISTS) return sdk::Status::RetryLater(s.message(), 1000);
  if (!s.ok()) {
    host_->Warn("StatefulSet " + key + ": " + what + " failed: " + s.message());
    Event(call, set, "Warning", "FailedCreate", what + " failed error: " + s.message());
    return Failed(s);
  }
  expectations_.ExpectCreated(key, Name(pod));
  pods_created_.Record(1);
  Event(call, set, "Normal", "SuccessfulCreate", what + " successful");
  // The claims get their retention references once the pod exists (it may be their owner).
  return FixClaimRefs(call, state, created.is_object() ? created : pod);
}

sdk::Status StatefulSetController::DeletePod(sdk::Call& call, const std::string& key,
                                             const Json& set, const PodAction& action) {
  const Json& pod = action.pod;
  if (action.reason == "RecreatingFailedPod" || action.reason == "RecreatingTerminatedPod") {
    bool failed = action.reason == "RecreatingFailedPod";
    Event(call, set, failed ? "Warning" : "Normal", action.reason,
          "StatefulSet " + Namespace(set) + "/" + Name(set) + " is recreating " +
              (failed ? "failed" : "terminated") + " Pod " + Name(pod));
  }
  std::string what = "delete Pod " + Name(pod) + " in StatefulSet " + Name(set);
  sdk::Status s = Send(call, "DELETE", ApiPath("v1", "pods", Namespace(pod), Name(pod)), kJson, "");
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  if (!s.ok()) {
    Event(call, set, "Warning", "FailedDelete", what + " failed error: " + s.message());
    return Failed(s);
  }
  expectations_.ExpectDeleted(key, Uid(pod));
  pods_deleted_.Record(1);
  Event(call, set, "Normal", "SuccessfulDelete", what + " successful");
  return sdk::Status::Ok();
}

sdk::Status StatefulSetController::UpdatePod(sdk::Call& call, const SetState& state,
                                             const Json& pod) {
  std::string what = "update Pod " + Name(pod) + " in StatefulSet " + Name(state.set);
  sdk::Status s = CreateClaims(call, state, pod);
  if (s.ok()) {
    // The resourceVersion the cache saw makes a concurrent change a 409, retried later.
    s = Send(call, "PUT", ApiPath("v1", "pods", Namespace(pod), Name(pod)), kJson,
             sdk::json::Dump(pod));
  }
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  Event(call, state.set, s.ok() ? "Normal" : "Warning",
        s.ok() ? "SuccessfulUpdate" : "FailedUpdate",
        what + (s.ok() ? " successful" : " failed error: " + s.message()));
  return s.ok() ? s : Failed(s);
}

sdk::Status StatefulSetController::FixClaimRefs(sdk::Call& call, const SetState& state,
                                                const Json& pod) {
  for (const auto& [tmpl, claim] : PodClaims(state.update_set, OrdinalOf(pod))) {
    auto it = state.claims.find(Name(claim));
    if (it == state.claims.end()) continue;  // picked up by a later sync once cached
    const Json& existing = it->second;
    if (ClaimOwnerUpToDate(existing, state.update_set, pod)) continue;
    if (HasUnexpectedController(existing, state.update_set, pod)) {
      Event(call, state.set, "Warning", "ConflictingController",
            "PersistentVolumeClaim " + Name(existing) +
                " has a conflicting OwnerReference that acts as a manging controller, the "
                "retention policy is ignored for this claim");
    }
    Json patch = {{"metadata",
                   {{"ownerReferences", ClaimOwnerRefsFor(existing, state.update_set, pod)},
                    {"resourceVersion", GetStr(existing, {"metadata", "resourceVersion"})}}}};
    sdk::Status s = Send(
        call, "PATCH", ApiPath("v1", "persistentvolumeclaims", Namespace(existing), Name(existing)),
        kMergePatch, sdk::json::Dump(patch));
    if (s.code() == CAPSTAN_RC_NOT_FOUND) continue;
    if (!s.ok()) return Failed(s);
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::controllers
