// The NodeLifecycle controller (see node_lifecycle_controller.h).
#include "plugins/controllers/node-lifecycle/node_lifecycle_controller.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/node-lifecycle/taint_eviction.h"

namespace capstan::controllers {
namespace {

constexpr char kNodes[] = "/v1/nodes";
constexpr char kPods[] = "/v1/pods";
constexpr char kLeases[] = "coordination.k8s.io/v1/leases";
constexpr char kLeaseNamespace[] = "kube-node-lease";
constexpr char kComponent[] = "taint-eviction-controller";

// Seconds from an integer or "<n>s|m|h"; nullopt when malformed or not positive.
std::optional<int64_t> DurationSeconds(const Json& value) {
  if (value.is_number_integer()) {
    int64_t s = value.get<int64_t>();
    return s > 0 ? std::optional<int64_t>(s) : std::nullopt;
  }
  if (!value.is_string()) return std::nullopt;
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() < 2 || text.size() > 12) return std::nullopt;
  int64_t n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    n = n * 10 + (text[i] - '0');
  }
  int64_t unit = text.back() == 's' ? 1 : text.back() == 'm' ? 60 : text.back() == 'h' ? 3600 : 0;
  if (unit == 0 || n <= 0) return std::nullopt;
  return n * unit;
}

bool HasNoExecute(const Json& taints) {
  if (!taints.is_array()) return false;
  return std::any_of(taints.begin(), taints.end(),
                     [](const Json& t) { return GetStr(t, {"effect"}) == "NoExecute"; });
}

uint64_t MillisUntil(int64_t at, int64_t now) {
  // One extra second: times are whole seconds, so the boundary has surely passed on wake-up.
  return static_cast<uint64_t>(std::max<int64_t>(at - now, 0) + 1) * 1000;
}

}  // namespace

sdk::Status NodeLifecycleController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  for (auto [field, target] : {std::pair{"nodeMonitorGracePeriod", &grace_.monitor_seconds},
                               std::pair{"nodeStartupGracePeriod", &grace_.startup_seconds}}) {
    const Json* v = sdk::json::Find(*config, field);
    if (v == nullptr) continue;
    std::optional<int64_t> seconds = DurationSeconds(*v);
    if (!seconds) {
      return sdk::Status::Invalid(std::string(field) + ": want positive seconds or \"<n>s|m|h\"");
    }
    *target = *seconds;
  }
  return sdk::Status::Ok();
}

sdk::Status NodeLifecycleController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json =
      sdk::json::Dump(Json{{"primary", kNodes},
                           {"watches", Json::array({Json{{"resource", kLeases}, {"map", "plugin"}},
                                                    Json{{"resource", kPods}, {"map", "plugin"}}})},
                           {"workers", workers_}});
  return sdk::Status::Ok();
}

sdk::Status NodeLifecycleController::MapEvent(sdk::Call& call, std::string_view resource,
                                              sdk::EventType type, std::string_view object_json,
                                              std::string* keys_json) {
  (void)call;
  *keys_json = "[]";
  if (type == sdk::EventType::kDeleted) return sdk::Status::Ok();
  std::optional<Json> object = sdk::json::Parse(object_json);
  if (!object || !object->is_object()) return sdk::Status::Invalid("event without a JSON object");
  std::string node;
  if (resource == kLeases && Namespace(*object) == kLeaseNamespace) node = Name(*object);
  if (resource == kPods) node = GetStr(*object, {"spec", "nodeName"});
  if (!node.empty()) *keys_json = sdk::json::Dump(Json::array({node}));
  return sdk::Status::Ok();
}

sdk::Status NodeLifecycleController::Reconcile(sdk::Call& call, std::string_view key,
                                               uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string cached;
  sdk::Status s = host_->CacheGet(kNodes, key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> node = sdk::json::Parse(cached);
  if (!node || !node->is_object()) return sdk::Status::Error("cache returned a non-object");
  const std::string name = Name(*node);
  std::optional<Json> lease;
  s = host_->CacheGet(kLeases, std::string(kLeaseNamespace) + "/" + name, &cached);
  if (s.ok()) lease = sdk::json::Parse(cached);
  if (!s.ok() && s.code() != CAPSTAN_RC_NOT_FOUND)
    return sdk::Status::RetryLater(s.message(), 1000);

  const int64_t now = clock_();
  NodeHealth health = AssessNode(*node, lease ? &*lease : nullptr, now, grace_);
  int64_t wake = health.stale ? kNever : health.stale_at;
  if (health.stale) {
    if (std::optional<Json> conditions = UnknownConditions(*node, now)) {
      s = Send(call, "PATCH", ApiPath("v1", "nodes", "", name, "status"), kMergePatch,
               sdk::json::Dump(Json{{"status", {{"conditions", *conditions}}}}));
      if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
      if (!s.ok()) return s;
      host_->Info("node " + name + " stopped posting status; conditions marked Unknown");
      (*node)["status"]["conditions"] = std::move(*conditions);
    }
  }
  std::string ready = ReadyStatus(*node);
  if (!ready.empty()) {
    if (std::optional<Json> taints = DesiredTaints(*node, ready, now)) {
      s = Send(call, "PATCH", ApiPath("v1", "nodes", "", name), kMergePatch,
               sdk::json::Dump(Json{{"spec", {{"taints", *taints}}}}));
      if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
      if (!s.ok()) return s;
      (*node)["spec"]["taints"] = std::move(*taints);
    }
  }
  int64_t next = kNever;
  if (s = EvictPods(call, *node, now, &next); !s.ok()) return s;
  wake = std::min(wake, next);
  if (wake != kNever) *requeue_after_ms = MillisUntil(wake, now);
  return sdk::Status::Ok();
}

sdk::Status NodeLifecycleController::EvictPods(sdk::Call& call, const Json& node, int64_t now,
                                               int64_t* next) {
  *next = kNever;
  const Json* taints = sdk::json::FindPath(node, {"spec", "taints"});
  if (taints == nullptr || !HasNoExecute(*taints)) return sdk::Status::Ok();
  std::string listed;
  sdk::Status s = host_->CacheList(kPods, "", "", &listed);
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> pods = sdk::json::Parse(listed);
  if (!pods || !pods->is_array()) return sdk::Status::Error("cache list is not an array");
  const std::string name = Name(node);
  for (const Json& pod : *pods) {
    if (GetStr(pod, {"spec", "nodeName"}) != name || Deleting(pod)) continue;
    int64_t at = EvictionTime(pod, *taints, now);
    if (at > now) {
      *next = std::min(*next, at);
      continue;
    }
    if (s = Evict(call, pod, now); !s.ok()) return s;
  }
  return sdk::Status::Ok();
}

sdk::Status NodeLifecycleController::Evict(sdk::Call& call, const Json& pod, int64_t now) {
  const std::string ns = Namespace(pod);
  const std::string name = Name(pod);
  RecordEvent(call, pod, "v1", "Pod", kComponent, "Normal", "TaintManagerEviction",
              "Marking for deletion Pod " + ns + "/" + name, now);
  // Best effort, as upstream: the DisruptionTarget condition tells why the pod went away.
  const Json* current = sdk::json::FindPath(pod, {"status", "conditions"});
  Json conditions = current != nullptr && current->is_array() ? *current : Json::array();
  Json target = {{"type", "DisruptionTarget"},
                 {"status", "True"},
                 {"reason", "DeletionByTaintManager"},
                 {"message", "Taint manager: deleting due to NoExecute taint"},
                 {"lastTransitionTime", FormatTime(now)}};
  int i = FindCondition(conditions, "DisruptionTarget");
  if (i < 0) {
    conditions.push_back(std::move(target));
  } else {
    conditions[static_cast<size_t>(i)] = std::move(target);
  }
  (void)Send(call, "PATCH", ApiPath("v1", "pods", ns, name, "status"), kMergePatch,
             sdk::json::Dump(Json{{"status", {{"conditions", conditions}}}}));
  sdk::Status s = Send(call, "DELETE", ApiPath("v1", "pods", ns, name), kJson, "");
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  if (s.ok()) host_->Info("evicted pod " + ns + "/" + name + " from a NoExecute-tainted node");
  return s;
}

}  // namespace capstan::controllers
