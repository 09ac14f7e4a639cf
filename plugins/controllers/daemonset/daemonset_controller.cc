// The DaemonSet controller (see daemonset_controller.h).
#include "plugins/controllers/daemonset/daemonset_controller.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/kit/history.h"
#include "plugins/controllers/kit/json_subset.h"

namespace capstan::controllers {
namespace {

constexpr char kComponent[] = "daemonset-controller";
constexpr char kDaemonSets[] = "apps/v1/daemonsets";
constexpr char kPods[] = "/v1/pods";
constexpr char kNodes[] = "/v1/nodes";
constexpr char kApps[] = "apps/v1";
constexpr char kKind[] = "DaemonSet";

std::optional<Json> ParseArray(const std::string& text) {
  std::optional<Json> j = sdk::json::Parse(text);
  if (!j || !j->is_array()) return std::nullopt;
  return j;
}

}  // namespace

// Everything one reconcile of one DaemonSet reads, shared by its steps.
struct DaemonSetController::Sync {
  std::string key;
  Json ds;
  Selector selector;
  Json pods = Json::array();  // every pod of the namespace (for expectations)
  std::vector<NodeState> nodes;
  NodePods node_pods;
  std::string hash;
  std::vector<Json> old_revisions;
};

sdk::Status DaemonSetController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  burst_replicas_ = sdk::json::GetInt(*config, "burstReplicas").value_or(burst_replicas_);
  resync_seconds_ = sdk::json::GetInt(*config, "resyncSeconds").value_or(resync_seconds_);
  pods_created_ = host.Counter("pods_created_total", "Daemon pods created by the controller");
  pods_deleted_ = host.Counter("pods_deleted_total", "Daemon pods deleted by the controller");
  return sdk::Status::Ok();
}

void DaemonSetController::SetClockForTesting(Clock clock) {
  clock_ = clock;
  expectations_.set_clock(std::move(clock));
}

sdk::Status DaemonSetController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(Json{
      {"primary", kDaemonSets},
      {"watches", Json::array({Json{{"resource", kPods}, {"map", "plugin"}},
                               Json{{"resource", kNodes}, {"map", "plugin"}},
                               Json{{"resource", kControllerRevisionResource}, {"map", "owner"}}})},
      {"workers", workers_},
      {"resyncSeconds", resync_seconds_}});
  return sdk::Status::Ok();
}

std::vector<std::string> DaemonSetController::AllDaemonSetKeys(std::string_view ns) const {
  std::vector<std::string> keys;
  std::string list;
  if (!host_->CacheList(kDaemonSets, ns, {}, &list).ok()) return keys;
  std::optional<Json> all = ParseArray(list);
  for (const Json& ds : all ? *all : Json::array()) keys.push_back(KeyOf(ds));
  return keys;
}

bool DaemonSetController::NodeChanged(const Json& node, sdk::EventType type) {
  std::lock_guard<std::mutex> lock(nodes_mu_);
  if (type == sdk::EventType::kDeleted) {
    node_fingerprints_.erase(Name(node));
    return true;
  }
  const Json* labels = Labels(node);
  const Json* taints = sdk::json::FindPath(node, {"spec", "taints"});
  std::string fingerprint = sdk::json::Dump(Json{{"l", labels != nullptr ? *labels : Json()},
                                                 {"t", taints != nullptr ? *taints : Json()}});
  std::string& last = node_fingerprints_[Name(node)];
  bool changed = last != fingerprint;
  last = std::move(fingerprint);
  return changed;
}

sdk::Status DaemonSetController::MapEvent(sdk::Call& call, std::string_view resource,
                                          sdk::EventType type, std::string_view object_json,
                                          std::string* keys_json) {
  (void)call;
  *keys_json = "[]";
  // Pods are mapped by their metadata alone; nodes by labels, taints and conditions.
  std::optional<Json> object =
      resource == kPods ? ParseObjectMeta(object_json) : ParseJsonFast(object_json);
  if (!object || !object->is_object()) return sdk::Status::Invalid("event without a JSON object");
  Json keys = Json::array();
  if (resource == kNodes) {
    if (NodeChanged(*object, type)) {
      for (std::string& k : AllDaemonSetKeys({})) keys.push_back(std::move(k));
    }
  } else if (resource == kPods) {
    std::string ns = Namespace(*object);
    if (const Json* ref = ControllerRef(*object)) {
      if (GetStr(*ref, {"kind"}) == kKind && GetStr(*ref, {"apiVersion"}) == kApps) {
        keys.push_back(ns + "/" + GetStr(*ref, {"name"}));
      }
    } else if (type != sdk::EventType::kDeleted && !Deleting(*object)) {
      std::string list;
      if (host_->CacheList(kDaemonSets, ns, {}, &list).ok()) {
        std::optional<Json> all = ParseArray(list);
        for (const Json& ds : all ? *all : Json::array()) {
          const Json* sel = sdk::json::FindPath(ds, {"spec", "selector"});
          std::optional<Selector> s =
              sel != nullptr ? Selector::FromLabelSelector(*sel) : std::nullopt;
          if (s && !s->Empty() && s->Matches(Labels(*object))) keys.push_back(KeyOf(ds));
        }
      }
    }
  }
  *keys_json = sdk::json::Dump(keys);
  return sdk::Status::Ok();
}

sdk::Status DaemonSetController::Reconcile(sdk::Call& call, std::string_view key,
                                           uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  Sync s;
  s.key = std::string(key);
  std::string cached;
  sdk::Status st = host_->CacheGet(kDaemonSets, key, &cached);
  if (st.code() == CAPSTAN_RC_NOT_FOUND) {
    expectations_.Forget(s.key);
    return sdk::Status::Ok();
  }
  if (!st.ok()) return sdk::Status::RetryLater(st.message(), 1000);
  std::optional<Json> ds = sdk::json::Parse(cached);
  if (!ds || !ds->is_object()) return sdk::Status::Error("cache returned a non-object");
  s.ds = std::move(*ds);
  const Json* sel = sdk::json::FindPath(s.ds, {"spec", "selector"});
  std::optional<Selector> selector =
      sel != nullptr ? Selector::FromLabelSelector(*sel) : std::nullopt;
  if (!selector || selector->Empty()) {
    // Upstream: an empty selector selects nothing rather than every pod; validation refuses it.
    host_->Warn("DaemonSet " + s.key + " has an empty or invalid selector");
    return sdk::Status::Ok();
  }
  s.selector = *selector;
  if (Deleting(s.ds)) return sdk::Status::Ok();  // the garbage collector takes the pods

  CAPSTAN_SDK_RETURN_IF_ERROR(LoadNodes(s));
  CAPSTAN_SDK_RETURN_IF_ERROR(ConstructHistory(call, s));
  CAPSTAN_SDK_RETURN_IF_ERROR(LoadPods(call, s));

  if (!expectations_.Satisfied(s.key, s.pods)) {
    sdk::Status written = WriteStatus(call, s, false);
    *requeue_after_ms = 1000;
    return written;
  }
  int64_t now = clock_();
  DaemonActions manage = PlanManage(s.ds, s.nodes, s.node_pods, s.hash, now, backoff_);
  CAPSTAN_SDK_RETURN_IF_ERROR(SyncNodes(call, s, manage));
  bool idle = manage.create_on.empty() && manage.delete_pods.empty();
  if (idle &&
      GetStr(s.ds, {"spec", "updateStrategy", "type"}, "RollingUpdate") == "RollingUpdate") {
    DaemonActions roll = PlanRollingUpdate(s.ds, s.nodes, s.node_pods, s.hash, now);
    CAPSTAN_SDK_RETURN_IF_ERROR(SyncNodes(call, s, roll));
  }
  CAPSTAN_SDK_RETURN_IF_ERROR(CleanupHistory(call, s));
  CAPSTAN_SDK_RETURN_IF_ERROR(WriteStatus(call, s, true));

  uint64_t after = 0;
  auto at_most = [&after](uint64_t ms) { after = after == 0 ? ms : std::min(after, ms); };
  if (expectations_.Pending(s.key) > 0) at_most(1000);
  if (manage.requeue_after_seconds > 0) {
    at_most(static_cast<uint64_t>(manage.requeue_after_seconds) * 1000);
  }
  int64_t min_ready = GetNum(s.ds, {"spec", "minReadySeconds"});
  Json status = DaemonSetStatus(s.ds, s.nodes, s.node_pods, s.hash, now, true);
  if (min_ready > 0 && GetNum(status, {"numberReady"}) != GetNum(status, {"numberAvailable"})) {
    at_most(static_cast<uint64_t>(min_ready) * 1000);
  }
  *requeue_after_ms = after;
  return sdk::Status::Ok();
}

sdk::Status DaemonSetController::LoadNodes(Sync& s) {
  std::string text;
  sdk::Status st = host_->CacheList(kNodes, {}, {}, &text);
  if (!st.ok()) return sdk::Status::RetryLater("listing nodes: " + st.message(), 1000);
  std::optional<Json> nodes = ParseArray(text);
  if (!nodes) return sdk::Status::Error("cache returned a non-array node list");
  DaemonPlacement placement(s.ds);
  for (const Json& node : *nodes) s.nodes.push_back({Name(node), placement.Evaluate(node)});
  return sdk::Status::Ok();
}

sdk::Status DaemonSetController::LoadPods(sdk::Call& call, Sync& s) {
  std::string text;
  sdk::Status st = host_->CacheList(kPods, Namespace(s.ds), {}, &text);
  if (!st.ok()) return sdk::Status::RetryLater("listing pods: " + st.message(), 1000);
  std::optional<Json> pods = ParseArray(text);
  if (!pods) return sdk::Status::Error("cache returned a non-array pod list");
  s.pods = std::move(*pods);
  std::vector<Json> claimed;
  CAPSTAN_SDK_RETURN_IF_ERROR(ClaimObjects(call, s.ds, kApps, kKind, s.selector,
                                           std::vector<Json>(s.pods.begin(), s.pods.end()), "v1",
                                           "pods", &claimed));
  for (Json& pod : claimed) {
    std::string phase = GetStr(pod, {"status", "phase"});
    if ((phase == "Succeeded" || phase == "Failed") && Deleting(pod)) continue;
    std::optional<std::string> node = TargetNodeName(pod);
    if (!node) continue;
    s.node_pods[*node].push_back(std::move(pod));
  }
  return sdk::Status::Ok();
}

sdk::Status DaemonSetController::ConstructHistory(sdk::Call& call, Sync& s) {
  std::vector<Json> all;
  CAPSTAN_SDK_RETURN_IF_ERROR(ListRevisions(*host_, Namespace(s.ds), &all));
  std::vector<Json> owned;
  CAPSTAN_SDK_RETURN_IF_ERROR(ClaimObjects(call, s.ds, kApps, kKind, s.selector, all, kApps,
                                           "controllerrevisions", &owned));
  Json patch = TemplatePatch(s.ds);
  std::vector<Json> current;
  for (Json& rev : owned) {
    if (GetStr(rev, {"metadata", "labels", kControllerRevisionHashLabel}).empty()) {
      // Upstream labels unlabelled revisions with their name (no hash to recompute).
      Json label = {{"metadata", {{"labels", {{kControllerRevisionHashLabel, Name(rev)}}}}}};
      CAPSTAN_SDK_RETURN_IF_ERROR(
          Send(call, "PATCH", ApiPath(kApps, "controllerrevisions", Namespace(rev), Name(rev)),
               kMergePatch, sdk::json::Dump(label), &rev));
    }
    const Json* data = sdk::json::Find(rev, "data");
    bool matches = data != nullptr && RevisionDataEqual(*data, patch);
    (matches ? current : s.old_revisions).push_back(std::move(rev));
  }
  int64_t next = NextRevision(s.old_revisions);
  Json cur;
  if (current.empty()) {
    CAPSTAN_SDK_RETURN_IF_ERROR(Snapshot(call, s, next, &cur));
  } else {
    CAPSTAN_SDK_RETURN_IF_ERROR(DedupCurrent(call, s, std::move(current), &cur));
    if (RevisionNumber(cur) < next) {
      Json updated;
      CAPSTAN_SDK_RETURN_IF_ERROR(UpdateRevisionNumber(call, cur, next, &updated));
    }
  }
  s.hash = GetStr(cur, {"metadata", "labels", kControllerRevisionHashLabel});
  return sdk::Status::Ok();
}

sdk::Status DaemonSetController::Snapshot(sdk::Call& call, Sync& s, int64_t revision,
                                          Json* current) {
  const Json* tmpl = sdk::json::FindPath(s.ds, {"spec", "template"});
  std::optional<int64_t> collisions;
  if (Has(s.ds, {"status", "collisionCount"}))
    collisions = GetNum(s.ds, {"status", "collisionCount"});
  std::string hash = ComputeTemplateHash(tmpl != nullptr ? *tmpl : Json(), collisions);
  const Json* labels = sdk::json::FindPath(s.ds, {"spec", "template", "metadata", "labels"});
  const Json* annotations = sdk::json::FindPath(s.ds, {"metadata", "annotations"});
  Json rev = NewControllerRevision(s.ds, kApps, kKind, labels != nullptr ? *labels : Json(),
                                   annotations != nullptr ? *annotations : Json(),
                                   TemplatePatch(s.ds), revision, hash);
  sdk::Status st = CreateRevision(call, rev, current);
  if (st.code() != CAPSTAN_RC_ALREADY_EXISTS) return st;
  Json existing;
  CAPSTAN_SDK_RETURN_IF_ERROR(
      Send(call, "GET", ApiPath(kApps, "controllerrevisions", Namespace(s.ds), Name(rev)), kJson,
           "", &existing));
  const Json* ref = ControllerRef(existing);
  const Json* data = sdk::json::Find(existing, "data");
  if (ref != nullptr && GetStr(*ref, {"uid"}) == Uid(s.ds) && data != nullptr &&
      RevisionDataEqual(*data, rev["data"])) {
    *current = std::move(existing);  // ours, not in the cache yet
    return sdk::Status::Ok();
  }
  // A real collision: the next sync hashes with a bumped collisionCount.
  Json status = {{"status", {{"collisionCount", collisions.value_or(0) + 1}}}};
  CAPSTAN_SDK_RETURN_IF_ERROR(
      Send(call, "PATCH", ApiPath(kApps, "daemonsets", Namespace(s.ds), Name(s.ds), "status"),
           kMergePatch, sdk::json::Dump(status)));
  return sdk::Status::RetryLater("hash collision for controller revision " + Name(rev), 100);
}

sdk::Status DaemonSetController::DedupCurrent(sdk::Call& call, Sync& s, std::vector<Json> current,
                                              Json* kept) {
  SortByRevision(current);
  *kept = current.back();
  std::string keep_hash = GetStr(*kept, {"metadata", "labels", kControllerRevisionHashLabel});
  for (size_t i = 0; i + 1 < current.size(); ++i) {
    std::string dup_hash = GetStr(current[i], {"metadata", "labels", kControllerRevisionHashLabel});
    for (const Json& pod : s.pods) {
      if (ControllerRef(pod) == nullptr || GetStr(*ControllerRef(pod), {"uid"}) != Uid(s.ds) ||
          GetStr(pod, {"metadata", "labels", kControllerRevisionHashLabel}) != dup_hash) {
        continue;
      }
      Json label = {{"metadata", {{"labels", {{kControllerRevisionHashLabel, keep_hash}}}}}};
      sdk::Status st = Send(call, "PATCH", ApiPath("v1", "pods", Namespace(pod), Name(pod)),
                            kMergePatch, sdk::json::Dump(label));
      if (!st.ok() && st.code() != CAPSTAN_RC_NOT_FOUND) return st;
    }
    CAPSTAN_SDK_RETURN_IF_ERROR(DeleteRevision(call, current[i]));
  }
  return sdk::Status::Ok();
}

sdk::Status DaemonSetController::SyncNodes(sdk::Call& call, Sync& s, const DaemonActions& actions) {
  int64_t now = clock_();
  for (const Json& pod : actions.failed_pods) {
    RecordEvent(call, s.ds, kApps, kKind, kComponent, "Warning", "FailedDaemonPod",
                "Found failed daemon pod " + KeyOf(pod) + " on node " +
                    TargetNodeName(pod).value_or("") + ", will try to kill it",
                now);
  }
  // The label records the template generation; upstream's apiserver keeps it in an annotation,
  // ours may not, so metadata.generation stands in.
  std::optional<int64_t> generation = TemplateGeneration(s.ds);
  if (!generation) generation = GetNum(s.ds, {"metadata", "generation"});
  Json tmpl = DaemonPodTemplate(s.ds, s.hash, generation);
  Json meta = Json::object();
  meta["generateName"] = Name(s.ds) + "-";
  meta["namespace"] = Namespace(s.ds);
  for (const char* field : {"labels", "annotations", "finalizers"}) {
    if (const Json* v = sdk::json::FindPath(tmpl, {"metadata", field})) meta[field] = *v;
  }
  meta["ownerReferences"] = Json::array({NewControllerRef(s.ds, kApps, kKind)});
  std::string path = ApiPath("v1", "pods", Namespace(s.ds));

  // Slow start (batches 1, 2, 4, ...): a refusal costs one request, not one per node.
  size_t creates = std::min(actions.create_on.size(), static_cast<size_t>(burst_replicas_));
  size_t done = 0;
  for (size_t batch = 1; done < creates; batch *= 2) {
    size_t end = std::min(creates, done + batch);
    for (; done < end; ++done) {
      Json pod = {
          {"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}, {"spec", tmpl["spec"]}};
      PinToNode(pod["spec"], actions.create_on[done]);
      Json created;
      sdk::Status st = Send(call, "POST", path, kJson, sdk::json::Dump(pod), &created);
      if (!st.ok()) {
        if (st.message().find("being terminated") != std::string::npos) return sdk::Status::Ok();
        host_->Warn("DaemonSet " + s.key + ": creating a pod failed: " + st.message());
        RecordEvent(call, s.ds, kApps, kKind, kComponent, "Warning", "FailedCreate",
                    "Error creating: " + st.message(), now);
        return st.code() == CAPSTAN_RC_RETRY_LATER ? st : sdk::Status::Error(st.message());
      }
      expectations_.ExpectCreated(s.key, Name(created));
      pods_created_.Record(1);
      RecordEvent(call, s.ds, kApps, kKind, kComponent, "Normal", "SuccessfulCreate",
                  "Created pod: " + Name(created), now);
    }
  }

  size_t deletes = std::min(actions.delete_pods.size(), static_cast<size_t>(burst_replicas_));
  for (size_t i = 0; i < deletes; ++i) {
    const Json& pod = actions.delete_pods[i];
    sdk::Status st =
        Send(call, "DELETE", ApiPath("v1", "pods", Namespace(pod), Name(pod)), kJson, "");
    if (st.code() == CAPSTAN_RC_NOT_FOUND) continue;
    if (!st.ok()) {
      RecordEvent(call, s.ds, kApps, kKind, kComponent, "Warning", "FailedDelete",
                  "Error deleting: " + st.message(), now);
      return st.code() == CAPSTAN_RC_RETRY_LATER ? st : sdk::Status::Error(st.message());
    }
    expectations_.ExpectDeleted(s.key, Uid(pod));
    pods_deleted_.Record(1);
    RecordEvent(call, s.ds, kApps, kKind, kComponent, "Normal", "SuccessfulDelete",
                "Deleted pod: " + Name(pod), now);
  }
  return sdk::Status::Ok();
}

sdk::Status DaemonSetController::CleanupHistory(sdk::Call& call, Sync& s) {
  std::map<std::string, bool> live;
  for (const auto& [node, pods] : s.node_pods) {
    for (const Json& pod : pods) {
      std::string h = GetStr(pod, {"metadata", "labels", kControllerRevisionHashLabel});
      if (!h.empty()) live[h] = true;
    }
  }
  int64_t limit = GetNum(s.ds, {"spec", "revisionHistoryLimit"}, 10);
  auto is_live = [&](const Json& rev) {
    return live.count(GetStr(rev, {"metadata", "labels", kControllerRevisionHashLabel})) > 0;
  };
  for (const Json& rev :
       RevisionsToPrune(s.old_revisions, limit, is_live, LiveRevisions::kCounted)) {
    CAPSTAN_SDK_RETURN_IF_ERROR(DeleteRevision(call, rev));
  }
  return sdk::Status::Ok();
}

sdk::Status DaemonSetController::WriteStatus(sdk::Call& call, Sync& s, bool observe_generation) {
  Json status = DaemonSetStatus(s.ds, s.nodes, s.node_pods, s.hash, clock_(), observe_generation);
  std::string path = ApiPath(kApps, "daemonsets", Namespace(s.ds), Name(s.ds), "status");
  sdk::Status st = WriteStatusIfChanged(call, path, s.ds, status);
  return st.code() == CAPSTAN_RC_NOT_FOUND ? sdk::Status::Ok() : st;
}

}  // namespace capstan::controllers
