// The StatefulSet controller: watches, the sync and revisions (see stateful_set_controller.h).
// The pod and claim writes are in pod_control.cc.
#include "plugins/controllers/statefulset/stateful_set_controller.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "plugins/controllers/kit/history.h"
#include "plugins/controllers/kit/json_subset.h"
#include "plugins/controllers/statefulset/stateful_pod.h"

namespace capstan::controllers {
namespace {

constexpr char kResource[] = "apps/v1/statefulsets";
constexpr char kPods[] = "/v1/pods";
constexpr char kClaims[] = "/v1/persistentvolumeclaims";

sdk::Status CachedList(const sdk::Host& host, const char* resource, const std::string& ns,
                       Json* out) {
  std::string text;
  sdk::Status s = host.CacheList(resource, ns, {}, &text);
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> list = sdk::json::Parse(text);
  if (!list || !list->is_array()) return sdk::Status::Error("cache returned a non-array list");
  *out = std::move(*list);
  return sdk::Status::Ok();
}

std::optional<Selector> SelectorOf(const Json& set) {
  const Json* selector = sdk::json::FindPath(set, {"spec", "selector"});
  if (selector == nullptr) return std::nullopt;
  return Selector::FromLabelSelector(*selector);
}

// StatefulSetStatus as upstream serialises it: zero counts with `omitempty` are left out.
Json StatusForWrite(const Json& set, const Json& planned) {
  Json out = Json::object();
  for (const auto& [k, v] : planned.items()) {
    bool omit_empty = k != "replicas" && k != "availableReplicas" && k != "collisionCount";
    if (omit_empty && ((v.is_number_integer() && v.get<int64_t>() == 0) ||
                       (v.is_string() && v.get_ref<const std::string&>().empty()))) {
      continue;
    }
    out[k] = v;
  }
  if (const Json* conditions = sdk::json::FindPath(set, {"status", "conditions"});
      conditions != nullptr && conditions->is_array() && !conditions->empty()) {
    out["conditions"] = *conditions;
  }
  return out;
}

}  // namespace

sdk::Status StatefulSetController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  resync_seconds_ = sdk::json::GetInt(*config, "resyncSeconds").value_or(resync_seconds_);
  pods_created_ = host.Counter("pods_created_total", "Pods created by the controller");
  pods_deleted_ = host.Counter("pods_deleted_total", "Pods deleted by the controller");
  return sdk::Status::Ok();
}

void StatefulSetController::SetClockForTesting(Clock clock) {
  clock_ = clock;
  expectations_.set_clock(clock);
  revisions_written_.set_clock(std::move(clock));
}

sdk::Status StatefulSetController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(Json{
      {"primary", kResource},
      {"watches", Json::array({Json{{"resource", kPods}, {"map", "plugin"}},
                               Json{{"resource", kClaims}, {"map", "owner"}},
                               Json{{"resource", kControllerRevisionResource}, {"map", "owner"}}})},
      {"workers", workers_},
      {"resyncSeconds", resync_seconds_}});
  return sdk::Status::Ok();
}

sdk::Status StatefulSetController::MapEvent(sdk::Call& call, std::string_view resource,
                                            sdk::EventType type, std::string_view object_json,
                                            std::string* keys_json) {
  (void)call;
  *keys_json = "[]";
  if (resource != kPods) return sdk::Status::Ok();
  std::optional<Json> pod = ParseObjectMeta(object_json);
  if (!pod || !pod->is_object()) return sdk::Status::Invalid("pod event without a JSON object");
  std::string ns = Namespace(*pod);
  Json keys = Json::array();
  if (const Json* ref = ControllerRef(*pod)) {
    if (GetStr(*ref, {"kind"}) == kStatefulSetKind && GetStr(*ref, {"apiVersion"}) == kAppsV1) {
      keys.push_back(ns + "/" + GetStr(*ref, {"name"}));
    }
  } else if (type != sdk::EventType::kDeleted && !Deleting(*pod)) {
    // An orphan: a set whose selector matches and whose name it carries may adopt it.
    Json sets;
    if (CachedList(*host_, kResource, ns, &sets).ok()) {
      for (const Json& set : sets) {
        std::optional<Selector> s = SelectorOf(set);
        if (s && s->Matches(Labels(*pod)) && IsMemberOf(set, *pod)) keys.push_back(KeyOf(set));
      }
    }
  }
  *keys_json = sdk::json::Dump(keys);
  return sdk::Status::Ok();
}

sdk::Status StatefulSetController::Reconcile(sdk::Call& call, std::string_view key,
                                             uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string k(key);
  std::string cached;
  sdk::Status s = host_->CacheGet(kResource, key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    expectations_.Forget(k);
    return sdk::Status::Ok();
  }
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> set = sdk::json::Parse(cached);
  if (!set || !set->is_object()) return sdk::Status::Error("cache returned a non-object");
  std::optional<Selector> selector = SelectorOf(*set);
  if (!selector) {
    host_->Warn("StatefulSet " + k + " has an invalid selector");  // validation refuses these
    return sdk::Status::Ok();
  }
  std::string ns = Namespace(*set);
  Json pods;
  CAPSTAN_SDK_RETURN_IF_ERROR(CachedList(*host_, kPods, ns, &pods));
  // The cache lags our writes: act again only once it shows the pods created and deleted.
  if (!expectations_.Satisfied(k, pods)) {
    *requeue_after_ms = 1000;
    return sdk::Status::Ok();
  }

  SetState state;
  state.set = *set;
  state.now = clock_();
  std::vector<Json> members;
  for (const Json& pod : pods) {
    if (IsMemberOf(*set, pod)) members.push_back(pod);
  }
  CAPSTAN_SDK_RETURN_IF_ERROR(ClaimObjects(call, *set, kAppsV1, kStatefulSetKind, *selector,
                                           members, "v1", "pods", &state.pods));
  std::vector<Json> revisions;
  Json current, update;
  CAPSTAN_SDK_RETURN_IF_ERROR(
      Revisions(call, *set, *selector, &revisions, &current, &update, &state.collision_count));
  state.current_set = SetAtRevision(*set, current);
  state.update_set = SetAtRevision(*set, update);
  state.current_revision = Name(current);
  state.update_revision = Name(update);
  Json claims;
  CAPSTAN_SDK_RETURN_IF_ERROR(CachedList(*host_, kClaims, ns, &claims));
  for (const Json& claim : claims) state.claims[Name(claim)] = claim;

  SyncPlan plan = PlanSync(state);
  sdk::Status acted = Execute(call, k, state, plan.actions);
  std::string status_path = ApiPath(kAppsV1, "statefulsets", ns, Name(*set), "status");
  sdk::Status written =
      WriteStatusIfChanged(call, status_path, *set, StatusForWrite(*set, plan.status));
  if (!acted.ok()) return acted;
  if (!written.ok() && written.code() != CAPSTAN_RC_NOT_FOUND) return written;
  CAPSTAN_SDK_RETURN_IF_ERROR(TruncateHistory(call, *set, state, revisions));

  if (expectations_.Pending(k) > 0) *requeue_after_ms = 1000;
  int64_t min_ready = GetNum(*set, {"spec", "minReadySeconds"});
  if (min_ready > 0 && GetNum(plan.status, {"availableReplicas"}) != SetReplicas(*set)) {
    uint64_t after = static_cast<uint64_t>(min_ready) * 1000;
    *requeue_after_ms = *requeue_after_ms == 0 ? after : std::min(*requeue_after_ms, after);
  }
  return sdk::Status::Ok();
}

sdk::Status StatefulSetController::Revisions(sdk::Call& call, const Json& set,
                                             const Selector& selector, std::vector<Json>* revisions,
                                             Json* current, Json* update,
                                             int64_t* collision_count) {
  std::vector<Json> cached;
  CAPSTAN_SDK_RETURN_IF_ERROR(ListRevisions(*host_, Namespace(set), &cached));
  std::vector<Json> listed;
  std::vector<std::string> keys;
  for (const Json& r : cached) {
    keys.push_back(KeyOf(r));
    listed.push_back(revisions_written_.Fresh(KeyOf(r), &r).value_or(r));
  }
  for (Json& r : revisions_written_.Missing(Namespace(set), keys)) listed.push_back(std::move(r));
  CAPSTAN_SDK_RETURN_IF_ERROR(ClaimObjects(call, set, kAppsV1, kStatefulSetKind, selector, listed,
                                           kAppsV1, "controllerrevisions", revisions));
  SortByRevision(*revisions);

  *collision_count = GetNum(set, {"status", "collisionCount"});
  Json data = TemplatePatch(set);
  const Json* labels = sdk::json::FindPath(set, {"spec", "template", "metadata", "labels"});
  const Json* annotations = sdk::json::FindPath(set, {"metadata", "annotations"});
  Json needle = NewControllerRevision(
      set, kAppsV1, kStatefulSetKind, labels != nullptr ? *labels : Json::object(),
      annotations != nullptr ? *annotations : Json(), data, NextRevision(*revisions),
      HashRevisionData(data, *collision_count));
  const Json* equal = nullptr;
  for (const Json& r : *revisions) {
    if (EqualRevision(r, needle)) equal = &r;
  }
  if (equal != nullptr && equal == &revisions->back()) {
    *update = *equal;  // the template has not changed since the newest revision
  } else if (equal != nullptr) {
    // A rollback: the equal revision becomes the newest by taking the next number.
    CAPSTAN_SDK_RETURN_IF_ERROR(
        UpdateRevisionNumber(call, *equal, NextRevision(*revisions), update));
    revisions_written_.Remember(*update);
  } else {
    CAPSTAN_SDK_RETURN_IF_ERROR(CreateRevisionProbing(call, set, needle, collision_count, update));
    revisions_written_.Remember(*update);
  }
  std::string current_name = GetStr(set, {"status", "currentRevision"});
  *current = *update;
  for (const Json& r : *revisions) {
    if (Name(r) == current_name) *current = r;
  }
  return sdk::Status::Ok();
}

sdk::Status StatefulSetController::TruncateHistory(sdk::Call& call, const Json& set,
                                                   const SetState& state,
                                                   const std::vector<Json>& revisions) {
  std::set<std::string> live = {state.current_revision, state.update_revision};
  for (const Json& pod : state.pods) live.insert(PodRevision(pod));
  std::vector<Json> old;
  for (const Json& r : revisions) {
    if (Name(r) != state.current_revision && Name(r) != state.update_revision) old.push_back(r);
  }
  auto is_live = [&live](const Json& r) { return live.count(Name(r)) > 0; };
  for (const Json& r : RevisionsToPrune(old, GetNum(set, {"spec", "revisionHistoryLimit"}, 10),
                                        is_live, LiveRevisions::kExcluded)) {
    CAPSTAN_SDK_RETURN_IF_ERROR(DeleteRevision(call, r));
    revisions_written_.Forget(KeyOf(r));
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::controllers
