// The ReplicaSet / ReplicationController controller (see replica_set_controller.h).
#include "plugins/controllers/replicaset/replica_set_controller.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <utility>

#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/kit/json_subset.h"
#include "plugins/controllers/replicaset/lean_pods.h"
#include "plugins/controllers/replicaset/pod_ranking.h"
#include "plugins/controllers/replicaset/replica_set_status.h"
#include "plugins/controllers/replicaset/slow_start.h"

namespace capstan::controllers {
namespace {
constexpr char kComponent[] = "replicaset-controller";
}  // namespace

sdk::Status ReplicaSetController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  if (sdk::json::GetString(*config, "kind").value_or("ReplicaSet") == "ReplicationController") {
    kind_ = {"ReplicationController", "v1", "replicationcontrollers", true};
  } else {
    kind_ = {"ReplicaSet", "apps/v1", "replicasets", false};
  }
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  burst_replicas_ = sdk::json::GetInt(*config, "burstReplicas").value_or(burst_replicas_);
  resync_seconds_ = sdk::json::GetInt(*config, "resyncSeconds").value_or(resync_seconds_);
  pods_created_ = host.Counter("pods_created_total", "Pods created by the controller");
  pods_deleted_ = host.Counter("pods_deleted_total", "Pods deleted by the controller");
  return sdk::Status::Ok();
}

void ReplicaSetController::SetClockForTesting(Clock clock) {
  clock_ = clock;
  events_.set_clock(clock);
  pending_.set_clock(clock);
  expectations_.set_clock(std::move(clock));
}

void ReplicaSetController::Event(sdk::Call& call, const Json& owner, std::string_view type,
                                 std::string_view reason, const std::string& message) {
  if (!events_.Allow(Uid(owner))) return;
  RecordEvent(call, owner, kind_.api_version, kind_.kind, kComponent, type, reason, message,
              clock_());
}

sdk::Status ReplicaSetController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(
      Json{{"primary", kind_.Resource()},
           {"watches", Json::array({Json{{"resource", "/v1/pods"}, {"map", "plugin"}}})},
           {"workers", workers_},
           {"resyncSeconds", resync_seconds_}});
  return sdk::Status::Ok();
}

std::optional<Selector> ReplicaSetController::SelectorOf(const Json& owner) const {
  const Json* selector = sdk::json::FindPath(owner, {"spec", "selector"});
  if (kind_.map_selector) {
    // Defaulting copies the template labels into an absent RC selector.
    if (selector == nullptr || !selector->is_object() || selector->empty()) {
      selector = sdk::json::FindPath(owner, {"spec", "template", "metadata", "labels"});
    }
    if (selector == nullptr || !selector->is_object()) return std::nullopt;
    return Selector::FromMap(*selector);
  }
  if (selector == nullptr) return std::nullopt;
  return Selector::FromLabelSelector(*selector);
}

sdk::Status ReplicaSetController::MapEvent(sdk::Call& call, std::string_view resource,
                                           sdk::EventType type, std::string_view object_json,
                                           std::string* keys_json) {
  (void)call;
  *keys_json = "[]";
  if (resource != "/v1/pods") return sdk::Status::Ok();
  std::optional<Json> pod = PodStatusSubset().ParseObject(object_json);
  if (!pod || !pod->is_object()) return sdk::Status::Invalid("pod event without a JSON object");
  std::string ns = Namespace(*pod);
  Json keys = Json::array();
  const Json* ref = ControllerRef(*pod);
  std::string owner;
  if (ref != nullptr && GetStr(*ref, {"kind"}) == kind_.kind &&
      GetStr(*ref, {"apiVersion"}) == kind_.api_version) {
    owner = ns + "/" + GetStr(*ref, {"name"});
  }
  std::string previous_owner;
  if (!changes_.Relevant(*pod, type, owner, &previous_owner)) return sdk::Status::Ok();
  if (!previous_owner.empty()) keys.push_back(previous_owner);
  if (ref != nullptr) {
    if (!owner.empty()) keys.push_back(owner);
  } else if (type != sdk::EventType::kDeleted && !Deleting(*pod)) {
    // An orphan: every object whose selector matches may adopt it.
    std::string list;
    if (host_->CacheList(kind_.Resource(), ns, {}, &list).ok()) {
      std::optional<Json> owners = ParseJsonFast(list);
      for (const Json& candidate : owners && owners->is_array() ? *owners : Json::array()) {
        std::optional<Selector> s = SelectorOf(candidate);
        if (s && s->Matches(Labels(*pod))) keys.push_back(KeyOf(candidate));
      }
    }
  }
  *keys_json = sdk::json::Dump(keys);
  return sdk::Status::Ok();
}

sdk::Status ReplicaSetController::Reconcile(sdk::Call& call, std::string_view key,
                                            uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string k(key);
  std::string cached;
  sdk::Status s = host_->CacheGet(kind_.Resource(), key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    expectations_.Forget(k);
    pending_.Forget(k);
    return sdk::Status::Ok();
  }
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> owner = ParseJsonFast(cached);
  if (!owner || !owner->is_object()) return sdk::Status::Error("cache returned a non-object");
  std::optional<Selector> selector = SelectorOf(*owner);
  if (!selector) {
    // Upstream does not retry an invalid selector; validation should have refused it.
    host_->Warn(kind_.kind + " " + k + " has an invalid selector");
    return sdk::Status::Ok();
  }

  std::string ns = Namespace(*owner);
  // Pods of the last batch still missing from the cache: expectations forbid scaling, and the
  // full pod list would only recount status. Their events requeue this key as they arrive.
  int64_t generation = GetNum(*owner, {"metadata", "generation"});
  if (!Deleting(*owner) && pending_.Outstanding(k, generation, [&](const std::string& name) {
        std::string pod;
        return host_->CacheGet("/v1/pods", ns + "/" + name, &pod).ok();
      })) {
    *requeue_after_ms = 1000;
    return sdk::Status::Ok();
  }
  std::string pods_text;
  s = host_->CacheList("/v1/pods", ns, {}, &pods_text);
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> pods = ParsePodsForSync(pods_text);
  if (!pods || !pods->is_array()) return sdk::Status::Error("cache returned a non-array pod list");

  bool needs_sync = expectations_.Satisfied(k, *pods);
  // Pointers into `*pods` (or `adopted`): copying every owned pod would cost as much as the
  // parse once a ReplicaSet has thousands.
  std::vector<const Json*> owned;
  std::deque<Json> adopted;
  CAPSTAN_SDK_RETURN_IF_ERROR(ClaimPods(call, *owner, *selector, *pods, &owned, &adopted));

  sdk::Status manage;
  if (needs_sync && !Deleting(*owner)) manage = ManageReplicas(call, k, *owner, owned);

  int64_t now = clock_();
  Json status = CalculateReplicaStatus(*owner, owned, manage, now);
  std::string status_path = ApiPath(kind_.api_version, kind_.plural, ns, Name(*owner), "status");
  sdk::Status written = WriteStatusIfChanged(call, status_path, *owner, status);
  if (!manage.ok()) return manage;
  if (!written.ok() && written.code() != CAPSTAN_RC_NOT_FOUND) return written;

  // Outstanding expectations clear when the informer shows our writes; pod events requeue the
  // key, and this bounded retry covers events that arrive before the cache has them.
  if (expectations_.Pending(k) > 0) *requeue_after_ms = 1000;
  int64_t replicas = GetNum(*owner, {"spec", "replicas"}, 1);
  int64_t min_ready = GetNum(*owner, {"spec", "minReadySeconds"});
  if (manage.ok() && min_ready > 0 && GetNum(status, {"readyReplicas"}) == replicas &&
      GetNum(status, {"availableReplicas"}) != replicas) {
    uint64_t after = static_cast<uint64_t>(min_ready) * 1000;
    *requeue_after_ms = *requeue_after_ms == 0 ? after : std::min(*requeue_after_ms, after);
  }
  return sdk::Status::Ok();
}

sdk::Status ReplicaSetController::ClaimPods(sdk::Call& call, const Json& owner,
                                            const Selector& selector, const Json& pods,
                                            std::vector<const Json*>* owned,
                                            std::deque<Json>* adopted) {
  std::string uid = Uid(owner);
  for (const Json& pod : pods) {
    if (!IsPodActive(pod)) continue;
    bool matches = selector.Matches(Labels(pod));
    const Json* ref = ControllerRef(pod);
    if (ref != nullptr && GetStr(*ref, {"uid"}) != uid) continue;  // another controller's
    if (ref != nullptr && (matches || Deleting(owner))) {
      owned->push_back(&pod);
      continue;
    }
    if (ref == nullptr && (!matches || Deleting(owner))) continue;

    // Adopt (append our controller reference) or release (drop it); the resourceVersion makes
    // the merge patch fail with 409 if the pod changed since the cache saw it.
    Json refs = Json::array();
    if (const Json* existing = sdk::json::FindPath(pod, {"metadata", "ownerReferences"});
        existing != nullptr && existing->is_array()) {
      for (const Json& r : *existing) {
        if (GetStr(r, {"uid"}) != uid) refs.push_back(r);
      }
    }
    bool adopt = ref == nullptr;
    if (adopt) refs.push_back(NewControllerRef(owner, kind_.api_version, kind_.kind));
    Json patch = {{"metadata",
                   {{"ownerReferences", refs},
                    {"resourceVersion", GetStr(pod, {"metadata", "resourceVersion"})}}}};
    if (GetStr(pod, {"metadata", "resourceVersion"}).empty())
      patch["metadata"].erase("resourceVersion");
    Json updated;
    sdk::Status s = Send(call, "PATCH", ApiPath("v1", "pods", Namespace(pod), Name(pod)),
                         kMergePatch, sdk::json::Dump(patch), &updated);
    if (s.code() == CAPSTAN_RC_NOT_FOUND) continue;  // gone meanwhile
    if (!s.ok()) return s;
    if (adopt) owned->push_back(&adopted->emplace_back(updated.is_object() ? updated : pod));
  }
  return sdk::Status::Ok();
}

sdk::Status ReplicaSetController::ManageReplicas(sdk::Call& call, const std::string& key,
                                                 const Json& owner,
                                                 const std::vector<const Json*>& owned) {
  int64_t diff = static_cast<int64_t>(owned.size()) - GetNum(owner, {"spec", "replicas"}, 1);
  if (diff < 0) return CreatePods(call, key, owner, std::min(-diff, burst_replicas_));
  if (diff > 0) return DeletePods(call, key, owner, owned, std::min(diff, burst_replicas_));
  return sdk::Status::Ok();
}

sdk::Status ReplicaSetController::CreatePods(sdk::Call& call, const std::string& key,
                                             const Json& owner, int64_t count) {
  const Json* tmpl = sdk::json::FindPath(owner, {"spec", "template"});
  if (tmpl == nullptr || !tmpl->is_object()) return sdk::Status::Error(key + " has no template");
  Json meta = Json::object();
  meta["generateName"] = Name(owner) + "-";
  meta["namespace"] = Namespace(owner);
  for (const char* field : {"labels", "annotations", "finalizers"}) {
    if (const Json* v = sdk::json::FindPath(*tmpl, {"metadata", field}); v != nullptr) {
      meta[field] = *v;
    }
  }
  meta["ownerReferences"] = Json::array({NewControllerRef(owner, kind_.api_version, kind_.kind)});
  const Json* spec = sdk::json::Find(*tmpl, "spec");
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", meta},
              {"spec", spec != nullptr ? *spec : Json::object()}};
  std::string body = sdk::json::Dump(pod);
  std::string path = ApiPath("v1", "pods", Namespace(owner));

  // Slow start (upstream's slowStartBatch): batches of 1, 2, 4, ... run concurrently and stop
  // at the first failure, so a quota or admission refusal costs one request rather than
  // `count`; what the call's deadline leaves undone waits for the next sync.
  SlowStartResult r = SlowStart(*host_, call, count, [&](int64_t) {
    Json created;
    sdk::Status s = Send(call, "POST", path, kJson, body, &created);
    if (!s.ok()) return s;
    expectations_.ExpectCreated(key, Name(created));
    pending_.Add(key, GetNum(owner, {"metadata", "generation"}), Name(created));
    pods_created_.Record(1);
    Event(call, owner, "Normal", "SuccessfulCreate", "Created pod: " + Name(created));
    return sdk::Status::Ok();
  });
  if (r.first_error.ok()) return sdk::Status::Ok();
  const sdk::Status& s = r.first_error;
  if (s.code() == CAPSTAN_RC_DEADLINE_EXCEEDED) return s;
  host_->Warn(kind_.kind + " " + key + ": creating a pod failed: " + s.message());
  Event(call, owner, "Warning", "FailedCreate", "Error creating: " + s.message());
  return s.code() == CAPSTAN_RC_RETRY_LATER ? s : sdk::Status::Error(s.message());
}

sdk::Status ReplicaSetController::DeletePods(sdk::Call& call, const std::string& key,
                                             const Json& owner,
                                             const std::vector<const Json*>& owned, int64_t count) {
  for (const Json* victim : PodsToDelete(owned, count, clock_())) {
    const Json& pod = *victim;
    sdk::Status s =
        Send(call, "DELETE", ApiPath("v1", "pods", Namespace(pod), Name(pod)), kJson, "");
    if (s.code() == CAPSTAN_RC_NOT_FOUND) continue;
    if (!s.ok()) {
      host_->Warn(kind_.kind + " " + key + ": deleting pod " + Name(pod) +
                  " failed: " + s.message());
      return s.code() == CAPSTAN_RC_RETRY_LATER ? s : sdk::Status::Error(s.message());
    }
    expectations_.ExpectDeleted(key, Uid(pod));
    pods_deleted_.Record(1);
    Event(call, owner, "Normal", "SuccessfulDelete", "Deleted pod: " + Name(pod));
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::controllers
