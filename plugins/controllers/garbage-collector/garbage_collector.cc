// The garbage collector (see garbage_collector.h).
#include "plugins/controllers/garbage-collector/garbage_collector.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/kit/json_subset.h"

namespace capstan::controllers {
namespace {

constexpr char kPrimary[] = "/v1/namespaces";
// Foreground owners are re-examined at least this often while dependents remain, in case an
// event was missed.
constexpr uint64_t kForegroundRecheckMs = 5000;

bool Contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// "<group>/<plural>" as `ignoredResources` names them ("/events" for core events).
std::string GroupResource(const ApiResource& r) {
  size_t slash = r.group_version.find('/');
  std::string group = slash == std::string::npos ? "" : r.group_version.substr(0, slash);
  return group + "/" + r.plural;
}

}  // namespace

sdk::Status GarbageCollector::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  // Upstream ignores events: they are many, short-lived and never own anything.
  ignored_ = {"/events", "events.k8s.io/events"};
  if (const Json* extra = sdk::json::GetArray(*config, "ignoredResources")) {
    for (const Json& r : *extra) {
      if (r.is_string()) ignored_.push_back(r.get<std::string>());
    }
  }
  deleted_ = host.Counter("gc_deleted_total", "Objects deleted because their owners were gone");
  orphaned_ = host.Counter("gc_orphaned_total", "Dependents released by orphan deletions");
  return sdk::Status::Ok();
}

void GarbageCollector::SetResourcesForTesting(std::vector<ApiResource> resources) {
  std::lock_guard<std::mutex> lock(mu_);
  resources_ = std::move(resources);
}

sdk::Status GarbageCollector::Describe(sdk::Call& call, std::string* watch_json) {
  std::vector<ApiResource> found;
  std::vector<std::string> failed;
  std::string why;
  sdk::Status s = DiscoverResources(call, &found, &failed, &why);
  if (!s.ok()) return s;
  if (!failed.empty()) {
    host_->Warn("garbage collector: discovery of " + std::to_string(failed.size()) +
                " group versions failed (" + why + "); their objects are not watched");
  }
  Json watches = Json::array();
  std::vector<ApiResource> kept;
  for (const ApiResource& r : found) {
    if (!r.Can("list") || !r.Can("watch") || !r.Can("delete")) continue;
    if (Contains(ignored_, GroupResource(r))) continue;
    watches.push_back(Json{{"resource", r.HostResource()}, {"map", "plugin"}});
    kept.push_back(r);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    resources_ = std::move(found);
  }
  *watch_json =
      sdk::json::Dump(Json{{"primary", kPrimary}, {"watches", watches}, {"workers", workers_}});
  return sdk::Status::Ok();
}

sdk::Status GarbageCollector::MapEvent(sdk::Call& call, std::string_view resource,
                                       sdk::EventType type, std::string_view object_json,
                                       std::string* keys_json) {
  (void)call;
  *keys_json = "[]";
  // The graph reads only identity, owners, finalizers and deletion: the metadata.
  std::optional<Json> object = ParseObjectMeta(object_json);
  if (!object || !object->is_object()) return sdk::Status::Invalid("event without a JSON object");
  Json keys = Json::array();
  for (const std::string& uid : graph_.Observe(std::string(resource), type, *object)) {
    keys.push_back(kGcKeyPrefix + uid);
  }
  *keys_json = sdk::json::Dump(keys);
  return sdk::Status::Ok();
}

sdk::Status GarbageCollector::Reconcile(sdk::Call& call, std::string_view key,
                                        uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  if (key.substr(0, sizeof(kGcKeyPrefix) - 1) != kGcKeyPrefix) return sdk::Status::Ok();
  std::optional<GraphNode> node = graph_.Get(std::string(key.substr(sizeof(kGcKeyPrefix) - 1)));
  if (!node) return sdk::Status::Ok();  // gone meanwhile
  if (node->deleting) {
    if (node->orphan) return ProcessOrphan(call, *node, requeue_after_ms);
    if (node->foreground) return ProcessForeground(call, *node, requeue_after_ms);
    return sdk::Status::Ok();
  }
  if (node->owners.empty()) return sdk::Status::Ok();
  return AttemptToDelete(call, *node);
}

sdk::Status GarbageCollector::ProcessOrphan(sdk::Call& call, const GraphNode& owner,
                                            uint64_t* requeue_after_ms) {
  (void)requeue_after_ms;
  for (const GraphNode& d : graph_.Dependents(owner.uid)) {
    sdk::Status s = RemoveOwnerRefs(call, d, {owner.uid});
    if (s.code() == CAPSTAN_RC_NOT_FOUND) continue;
    CAPSTAN_SDK_RETURN_IF_ERROR(s);
    orphaned_.Record(1);
  }
  sdk::Status s = RemoveFinalizer(call, owner, kOrphanFinalizer);
  return s.code() == CAPSTAN_RC_NOT_FOUND ? sdk::Status::Ok() : s;
}

sdk::Status GarbageCollector::ProcessForeground(sdk::Call& call, const GraphNode& owner,
                                                uint64_t* requeue_after_ms) {
  bool blocked = false;
  for (const GraphNode& d : graph_.Dependents(owner.uid)) {
    const OwnerLink* link = d.OwnerWithUid(owner.uid);
    if (link != nullptr && link->block_owner_deletion) blocked = true;
    if (d.deleting) continue;
    sdk::Status s = AttemptToDelete(call, d);
    if (!s.ok() && s.code() != CAPSTAN_RC_NOT_FOUND) return s;
  }
  if (blocked) {
    // Dependent events requeue the owner; the recheck covers a missed one.
    *requeue_after_ms = kForegroundRecheckMs;
    return sdk::Status::Ok();
  }
  sdk::Status s = RemoveFinalizer(call, owner, kForegroundFinalizer);
  return s.code() == CAPSTAN_RC_NOT_FOUND ? sdk::Status::Ok() : s;
}

sdk::Status GarbageCollector::AttemptToDelete(sdk::Call& call, const GraphNode& node) {
  std::vector<std::string> dangling;
  std::vector<std::string> waiting;
  bool solid = false;
  for (const OwnerLink& ref : node.owners) {
    OwnerState state = OwnerState::kSolid;
    CAPSTAN_SDK_RETURN_IF_ERROR(ClassifyOwner(call, node, ref, &state));
    if (state == OwnerState::kSolid) solid = true;
    if (state == OwnerState::kDangling) dangling.push_back(ref.uid);
    if (state == OwnerState::kWaiting) waiting.push_back(ref.uid);
  }
  if (solid) {
    // Another owner keeps the object alive: only the references to owners going away go.
    std::vector<std::string> drop = dangling;
    drop.insert(drop.end(), waiting.begin(), waiting.end());
    if (drop.empty()) return sdk::Status::Ok();
    sdk::Status s = RemoveOwnerRefs(call, node, drop);
    return s.code() == CAPSTAN_RC_NOT_FOUND ? sdk::Status::Ok() : s;
  }
  // Every owner is gone or waiting for its dependents: this object goes — if the live object
  // still says so. The graph may lag a write that just released it (an orphaning strips the
  // references, then the owner disappears before the dependent's update event arrives);
  // upstream's attemptToDeleteItem re-reads the object for the same reason.
  Json live;
  sdk::Status read = Send(call, "GET", PathOf(node), {}, {}, &live);
  if (read.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  CAPSTAN_SDK_RETURN_IF_ERROR(read);
  std::optional<GraphNode> fresh = NodeOf(node.resource, live);
  if (!fresh || fresh->uid != node.uid) return sdk::Status::Ok();
  for (const std::string& uid : dangling) {
    if (fresh->OwnerWithUid(uid) == nullptr) return sdk::Status::Ok();  // its event requeues it
  }
  for (const std::string& uid : waiting) {
    if (fresh->OwnerWithUid(uid) == nullptr) return sdk::Status::Ok();
  }
  // With an owner waiting and dependents of its own, in the foreground so that the wait covers
  // the whole subtree.
  std::string_view policy = "Background";
  if (!waiting.empty() && !graph_.Dependents(node.uid).empty()) policy = "Foreground";
  sdk::Status s = DeleteObject(call, node, policy);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  if (s.ok()) deleted_.Record(1);
  return s;
}

sdk::Status GarbageCollector::ClassifyOwner(sdk::Call& call, const GraphNode& dependent,
                                            const OwnerLink& ref, OwnerState* state) {
  if (std::optional<GraphNode> owner = graph_.Get(ref.uid)) {
    *state = owner->WaitingForDependents() ? OwnerState::kWaiting : OwnerState::kSolid;
    return sdk::Status::Ok();
  }
  // Not (yet) in the graph: ask the API, as upstream's isDangling does.
  const ApiResource* r = ResourceFor(ref.api_version, ref.kind);
  if (r == nullptr) {
    host_->Warn("garbage collector: no served resource for owner " + ref.api_version + " " +
                ref.kind + " of " + dependent.kind + " " + dependent.ns + "/" + dependent.name);
    *state = OwnerState::kSolid;  // never delete on a guess
    return sdk::Status::Ok();
  }
  // A namespaced dependent's owner lives in its namespace; a cluster-scoped dependent cannot
  // have a namespaced owner (upstream treats that reference as dangling too).
  if (r->namespaced && dependent.ns.empty()) {
    *state = OwnerState::kDangling;
    return sdk::Status::Ok();
  }
  Json live;
  sdk::Status s = Send(call, "GET", r->Path(dependent.ns, ref.name), {}, {}, &live);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    *state = OwnerState::kDangling;
    return sdk::Status::Ok();
  }
  CAPSTAN_SDK_RETURN_IF_ERROR(s);
  if (Uid(live) != ref.uid) {
    *state = OwnerState::kDangling;  // same name, another object
    return sdk::Status::Ok();
  }
  std::optional<GraphNode> n = NodeOf(r->HostResource(), live);
  *state = n && n->WaitingForDependents() ? OwnerState::kWaiting : OwnerState::kSolid;
  return sdk::Status::Ok();
}

std::string GarbageCollector::PathOf(const GraphNode& node) const {
  std::string_view resource = node.resource;
  size_t last = resource.rfind('/');
  std::string_view gv = resource.substr(0, last);
  if (!gv.empty() && gv.front() == '/') gv.remove_prefix(1);
  return ApiPath(gv, resource.substr(last + 1), node.ns, node.name);
}

const ApiResource* GarbageCollector::ResourceFor(std::string_view api_version,
                                                 std::string_view kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  return FindByKind(resources_, api_version, kind);  // resources_ is only replaced in Describe
}

sdk::Status GarbageCollector::RemoveOwnerRefs(sdk::Call& call, const GraphNode& node,
                                              const std::vector<std::string>& owner_uids) {
  std::string path = PathOf(node);
  Json live;
  CAPSTAN_SDK_RETURN_IF_ERROR(Send(call, "GET", path, {}, {}, &live));
  if (Uid(live) != node.uid) return sdk::Status::NotFound(path + " was replaced");
  Json& meta = live["metadata"];
  Json kept = Json::array();
  bool changed = false;
  if (meta.contains("ownerReferences") && meta["ownerReferences"].is_array()) {
    for (const Json& ref : meta["ownerReferences"]) {
      if (Contains(owner_uids, GetStr(ref, {"uid"}))) {
        changed = true;
      } else {
        kept.push_back(ref);
      }
    }
  }
  if (!changed) return sdk::Status::Ok();
  if (kept.empty()) {
    meta.erase("ownerReferences");
  } else {
    meta["ownerReferences"] = kept;
  }
  return Send(call, "PUT", path, kJson, sdk::json::Dump(live));
}

sdk::Status GarbageCollector::RemoveFinalizer(sdk::Call& call, const GraphNode& node,
                                              std::string_view finalizer) {
  std::string path = PathOf(node);
  Json live;
  CAPSTAN_SDK_RETURN_IF_ERROR(Send(call, "GET", path, {}, {}, &live));
  if (Uid(live) != node.uid) return sdk::Status::NotFound(path + " was replaced");
  Json& meta = live["metadata"];
  if (!meta.contains("finalizers") || !meta["finalizers"].is_array()) return sdk::Status::Ok();
  Json& list = meta["finalizers"];
  auto it = std::find(list.begin(), list.end(), Json(finalizer));
  if (it == list.end()) return sdk::Status::Ok();
  list.erase(it);
  return Send(call, "PUT", path, kJson, sdk::json::Dump(live));
}

sdk::Status GarbageCollector::DeleteObject(sdk::Call& call, const GraphNode& node,
                                           std::string_view policy) {
  Json options = {{"kind", "DeleteOptions"},
                  {"apiVersion", "v1"},
                  {"propagationPolicy", policy},
                  {"preconditions", {{"uid", node.uid}}}};
  sdk::Status s = Send(call, "DELETE", PathOf(node), kJson, sdk::json::Dump(options));
  if (s.ok()) {
    host_->Info("garbage collector: deleted " + node.kind + " " +
                (node.ns.empty() ? "" : node.ns + "/") + node.name + " (" + std::string(policy) +
                ")");
  }
  return s;
}

}  // namespace capstan::controllers
