// The Deployment controller's sync: loading and claiming ReplicaSets, the new ReplicaSet and
// revisions, writes and status (see deployment_controller.h; strategies in rollout.cc).
#include "plugins/controllers/deployment/deployment_controller.h"

#include <algorithm>
#include <utility>

#include "plugins/controllers/deployment/deployment_util.h"
#include "plugins/controllers/kit/history.h"

namespace capstan::controllers {
namespace {

constexpr char kDeployments[] = "apps/v1/deployments";
constexpr char kReplicaSets[] = "apps/v1/replicasets";

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

std::vector<const Json*> DeploymentController::Sync::Olds() const {
  std::vector<const Json*> out;
  for (size_t i = 0; i < rss.size(); ++i) {
    if (static_cast<int>(i) != new_rs) out.push_back(&rss[i]);
  }
  return out;
}

std::vector<const Json*> DeploymentController::Sync::All() const {
  std::vector<const Json*> out = Olds();
  if (new_rs >= 0) out.push_back(&rss[static_cast<size_t>(new_rs)]);
  return out;
}

sdk::Status DeploymentController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  resync_seconds_ = sdk::json::GetInt(*config, "resyncSeconds").value_or(resync_seconds_);
  return sdk::Status::Ok();
}

void DeploymentController::SetClockForTesting(Clock clock) {
  clock_ = clock;
  overlay_.set_clock(std::move(clock));
}

sdk::Status DeploymentController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(
      Json{{"primary", kDeployments},
           {"watches", Json::array({Json{{"resource", kReplicaSets}, {"map", "owner"}},
                                    Json{{"resource", "/v1/pods"}, {"map", "plugin"}}})},
           {"workers", workers_},
           {"resyncSeconds", resync_seconds_}});
  return sdk::Status::Ok();
}

sdk::Status DeploymentController::MapEvent(sdk::Call& call, std::string_view resource,
                                           sdk::EventType type, std::string_view object_json,
                                           std::string* keys_json) {
  (void)call;
  *keys_json = "[]";
  // Only a pod's disappearance matters (Recreate waits for old pods to be gone).
  if (resource != "/v1/pods" || type != sdk::EventType::kDeleted) return sdk::Status::Ok();
  std::optional<Json> pod = sdk::json::Parse(object_json);
  const Json* ref = pod ? ControllerRef(*pod) : nullptr;
  if (ref == nullptr || GetStr(*ref, {"kind"}) != "ReplicaSet") return sdk::Status::Ok();
  std::string ns = Namespace(*pod);
  std::string rs_text;
  if (!host_->CacheGet(kReplicaSets, ns + "/" + GetStr(*ref, {"name"}), &rs_text).ok()) {
    return sdk::Status::Ok();
  }
  std::optional<Json> rs = sdk::json::Parse(rs_text);
  const Json* owner = rs ? ControllerRef(*rs) : nullptr;
  if (owner == nullptr || GetStr(*owner, {"kind"}) != "Deployment") return sdk::Status::Ok();
  *keys_json = sdk::json::Dump(Json::array({ns + "/" + GetStr(*owner, {"name"})}));
  return sdk::Status::Ok();
}

sdk::Status DeploymentController::Reconcile(sdk::Call& call, std::string_view key,
                                            uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string text;
  sdk::Status st = host_->CacheGet(kDeployments, key, &text);
  if (st.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  if (!st.ok()) return sdk::Status::RetryLater(st.message(), 1000);
  std::optional<Json> d = sdk::json::Parse(text);
  if (!d || !d->is_object()) return sdk::Status::Error("cache returned a non-object");
  Sync s{&call, std::move(*d), {}, Json::array()};
  if (!s.d.contains("status") || !s.d["status"].is_object()) s.d["status"] = Json::object();

  const Json* sel = sdk::json::FindPath(s.d, {"spec", "selector"});
  std::optional<Selector> selector =
      sel != nullptr ? Selector::FromLabelSelector(*sel) : std::nullopt;
  if (!selector) {
    host_->Warn("deployment " + std::string(key) + " has an invalid selector");
    return sdk::Status::Ok();
  }
  if (selector->Empty()) {
    // Upstream refuses to act on a selector that selects everything.
    host_->Warn("deployment " + std::string(key) + " selects all pods; nothing done");
    Json status = s.d["status"];
    int64_t gen = GetNum(s.d, {"metadata", "generation"});
    if (GetNum(status, {"observedGeneration"}) < gen) status["observedGeneration"] = gen;
    return WriteStatus(s, status);
  }

  std::string ns = Namespace(s.d);
  std::string list;
  st = host_->CacheList(kReplicaSets, ns, {}, &list);
  if (!st.ok()) return sdk::Status::RetryLater(st.message(), 1000);
  std::optional<Json> rss = sdk::json::Parse(list);
  if (!rss || !rss->is_array()) return sdk::Status::Error("cache returned a non-array list");
  std::vector<std::string> keys;
  for (const Json& rs : *rss) {
    keys.push_back(KeyOf(rs));
    std::optional<Json> fresh = overlay_.Fresh(KeyOf(rs), &rs);
    if (fresh) s.rss.push_back(std::move(*fresh));
  }
  for (Json& written : overlay_.Missing(ns, keys)) s.rss.push_back(std::move(written));
  CAPSTAN_SDK_RETURN_IF_ERROR(ClaimReplicaSets(s, *selector));
  std::sort(s.rss.begin(), s.rss.end(),
            [](const Json& a, const Json& b) { return CreatedBefore(&a, &b); });

  // Only Recreate looks at pods (old ones must be gone before the new ReplicaSet scales up),
  // and only when there is an older ReplicaSet; listing (and parsing) every pod of the
  // namespace on each sync would cost O(pods) per ReplicaSet status change otherwise.
  bool recreate = GetStr(s.d, {"spec", "strategy", "type"}) == "Recreate";
  if (recreate && !s.rss.empty() && !Deleting(s.d)) {
    std::string pods;
    if (!host_->CacheList("/v1/pods", ns, {}, &pods).ok()) {
      return sdk::Status::RetryLater("pod cache not ready", 1000);
    }
    std::optional<Json> parsed = sdk::json::Parse(pods);
    if (parsed && parsed->is_array()) s.pods = std::move(*parsed);
  }

  sdk::Status result;
  if (Deleting(s.d)) {
    CAPSTAN_SDK_RETURN_IF_ERROR(SyncRevision(s, false));
    result = SyncDeploymentStatus(s);
  } else {
    // Paused / resumed shows in the Progressing condition.
    const Json* cond = GetCondition(s.d["status"], "Progressing");
    bool paused = sdk::json::FindPath(s.d, {"spec", "paused"}) != nullptr &&
                  s.d["spec"]["paused"].is_boolean() && s.d["spec"]["paused"].get<bool>();
    if (HasProgressDeadline(s.d) &&
        !(cond != nullptr && GetStr(*cond, {"reason"}) == "ProgressDeadlineExceeded")) {
      bool paused_cond = cond != nullptr && GetStr(*cond, {"reason"}) == "DeploymentPaused";
      Json status = s.d["status"];
      if (paused && !paused_cond) {
        SetCondition(status, NewCondition("Progressing", "Unknown", "DeploymentPaused",
                                          "Deployment is paused", clock_()));
      } else if (!paused && paused_cond) {
        SetCondition(status, NewCondition("Progressing", "Unknown", "DeploymentResumed",
                                          "Deployment is resumed", clock_()));
      }
      CAPSTAN_SDK_RETURN_IF_ERROR(WriteStatus(s, status));
    }
    CAPSTAN_SDK_RETURN_IF_ERROR(SyncRevision(s, false));
    if (paused || IsScalingEvent(s)) {
      result = ScaleOnly(s);
    } else if (recreate) {
      result = RolloutRecreate(s);
    } else {
      result = RolloutRolling(s);
    }
  }
  *requeue_after_ms = s.requeue_after_ms;
  return result;
}

sdk::Status DeploymentController::ClaimReplicaSets(Sync& s, const Selector& selector) {
  std::string uid = Uid(s.d);
  std::vector<Json> owned;
  for (Json& rs : s.rss) {
    bool matches = selector.Matches(Labels(rs));
    const Json* ref = ControllerRef(rs);
    if (ref != nullptr && GetStr(*ref, {"uid"}) != uid) continue;
    if (ref != nullptr && (matches || Deleting(s.d))) {
      owned.push_back(std::move(rs));
      continue;
    }
    if (ref == nullptr && (!matches || Deleting(s.d) || Deleting(rs))) continue;
    Json refs = Json::array();
    if (const Json* existing = sdk::json::FindPath(rs, {"metadata", "ownerReferences"});
        existing != nullptr && existing->is_array()) {
      for (const Json& r : *existing) {
        if (GetStr(r, {"uid"}) != uid) refs.push_back(r);
      }
    }
    bool adopt = ref == nullptr;
    if (adopt) refs.push_back(NewControllerRef(s.d, "apps/v1", "Deployment"));
    Json patch = {{"metadata", {{"ownerReferences", refs}}}};
    std::string rv = GetStr(rs, {"metadata", "resourceVersion"});
    if (!rv.empty()) patch["metadata"]["resourceVersion"] = rv;
    Json updated;
    sdk::Status st =
        Send(*s.call, "PATCH", ApiPath("apps/v1", "replicasets", Namespace(rs), Name(rs)),
             kMergePatch, sdk::json::Dump(patch), &updated);
    if (st.code() == CAPSTAN_RC_NOT_FOUND) continue;
    if (!st.ok()) return st;
    if (adopt && updated.is_object()) {
      overlay_.Remember(updated);
      owned.push_back(std::move(updated));
    }
  }
  s.rss = std::move(owned);
  return sdk::Status::Ok();
}

sdk::Status DeploymentController::SyncRevision(Sync& s, bool create) {
  const Json* tmpl = sdk::json::FindPath(s.d, {"spec", "template"});
  if (tmpl == nullptr) return sdk::Status::Error("deployment without a template");
  s.new_rs = -1;
  for (size_t i = 0; i < s.rss.size(); ++i) {  // oldest first: upstream picks the oldest match
    const Json* t = sdk::json::FindPath(s.rss[i], {"spec", "template"});
    if (t != nullptr && EqualIgnoreHash(*t, *tmpl)) {
      s.new_rs = static_cast<int>(i);
      break;
    }
  }
  int64_t max_old = 0;
  for (const Json* rs : s.Olds()) max_old = std::max(max_old, Revision(*rs));
  std::string new_revision = std::to_string(max_old + 1);
  if (s.new_rs < 0) return create ? CreateNewReplicaSet(s, new_revision) : sdk::Status::Ok();

  size_t idx = static_cast<size_t>(s.new_rs);
  Json copy = s.rss[idx];
  bool changed = SetNewReplicaSetAnnotations(s.d, copy, new_revision, true);
  int64_t min_ready = GetNum(s.d, {"spec", "minReadySeconds"});
  if (GetNum(copy, {"spec", "minReadySeconds"}) != min_ready) {
    copy["spec"]["minReadySeconds"] = min_ready;
    changed = true;
  }
  if (changed) CAPSTAN_SDK_RETURN_IF_ERROR(UpdateReplicaSet(s, idx, std::move(copy)));
  std::string revision = GetStr(s.rss[idx], {"metadata", "annotations", kRevision});
  if (!revision.empty() && GetStr(s.d, {"metadata", "annotations", kRevision}) != revision) {
    CAPSTAN_SDK_RETURN_IF_ERROR(PatchDeploymentAnnotations(s, Json{{kRevision, revision}}));
  }
  if (HasProgressDeadline(s.d) && GetCondition(s.d["status"], "Progressing") == nullptr) {
    Json status = s.d["status"];
    SetCondition(status,
                 NewCondition("Progressing", "True", "FoundNewReplicaSet",
                              "Found new replica set " + Quoted(Name(s.rss[idx])), clock_()));
    return WriteStatus(s, status);
  }
  return sdk::Status::Ok();
}

sdk::Status DeploymentController::CreateNewReplicaSet(Sync& s, const std::string& revision) {
  Json tmpl = s.d["spec"]["template"];
  std::optional<int64_t> collisions;
  if (const Json* c = sdk::json::FindPath(s.d, {"status", "collisionCount"});
      c != nullptr && c->is_number_integer()) {
    collisions = c->get<int64_t>();
  }
  std::string hash = ComputeTemplateHash(tmpl, collisions);
  tmpl["metadata"]["labels"][kHashLabel] = hash;
  Json selector = s.d["spec"]["selector"];
  selector["matchLabels"][kHashLabel] = hash;
  std::string name = Name(s.d) + "-" + hash;
  Json rs = {{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"metadata",
              {{"name", name},
               {"namespace", Namespace(s.d)},
               {"labels", tmpl["metadata"]["labels"]},
               {"ownerReferences", Json::array({NewControllerRef(s.d, "apps/v1", "Deployment")})}}},
             {"spec",
              {{"replicas", 0},
               {"minReadySeconds", GetNum(s.d, {"spec", "minReadySeconds"})},
               {"selector", selector},
               {"template", tmpl}}}};
  // The new RS joins the set with 0 replicas to size it against the others.
  s.rss.push_back(rs);
  s.new_rs = static_cast<int>(s.rss.size() - 1);
  int64_t replicas = NewRsNewReplicas(s);
  s.rss.pop_back();
  s.new_rs = -1;
  rs["spec"]["replicas"] = replicas;
  SetNewReplicaSetAnnotations(s.d, rs, revision, false);

  Json created;
  std::string path = ApiPath("apps/v1", "replicasets", Namespace(s.d));
  sdk::Status st = Send(*s.call, "POST", path, kJson, sdk::json::Dump(rs), &created);
  bool already_exists = st.code() == CAPSTAN_RC_ALREADY_EXISTS;
  if (already_exists) {
    // Ours from an earlier sync the cache has not shown yet, or a hash collision.
    Json existing;
    CAPSTAN_SDK_RETURN_IF_ERROR(Send(*s.call, "GET", path + "/" + name, {}, "", &existing));
    const Json* ref = ControllerRef(existing);
    const Json* t = sdk::json::FindPath(existing, {"spec", "template"});
    if (ref == nullptr || GetStr(*ref, {"uid"}) != Uid(s.d) || t == nullptr ||
        !EqualIgnoreHash(*t, s.d["spec"]["template"])) {
      Json status = s.d["status"];
      status["collisionCount"] = collisions.value_or(0) + 1;
      CAPSTAN_SDK_RETURN_IF_ERROR(WriteStatus(s, status));
      return sdk::Status::RetryLater("hash collision for replica set " + name, 100);
    }
    created = std::move(existing);
  } else if (!st.ok()) {
    if (HasProgressDeadline(s.d) && st.code() != CAPSTAN_RC_RETRY_LATER) {
      Json status = s.d["status"];
      SetCondition(status, NewCondition("Progressing", "False", "ReplicaSetCreateError",
                                        st.message(), clock_()));
      (void)WriteStatus(s, status);
    }
    return st;
  }
  if (!created.is_object() || Name(created).empty()) created = rs;
  overlay_.Remember(created);
  s.rss.push_back(std::move(created));
  s.new_rs = static_cast<int>(s.rss.size() - 1);
  if (GetStr(s.d, {"metadata", "annotations", kRevision}) != revision) {
    CAPSTAN_SDK_RETURN_IF_ERROR(PatchDeploymentAnnotations(s, Json{{kRevision, revision}}));
  }
  if (!already_exists && replicas > 0) {
    RecordEvent(*s.call, s.d, "apps/v1", "Deployment", "deployment-controller", "Normal",
                "ScalingReplicaSet",
                "Scaled up replica set " + name + " from 0 to " + std::to_string(replicas),
                clock_());
  }
  if (!already_exists && HasProgressDeadline(s.d)) {
    Json status = s.d["status"];
    SetCondition(status, NewCondition("Progressing", "True", "NewReplicaSetCreated",
                                      "Created new replica set " + Quoted(name), clock_()));
    return WriteStatus(s, status);
  }
  return sdk::Status::Ok();
}

sdk::Status DeploymentController::UpdateReplicaSet(Sync& s, size_t index, Json updated) {
  const Json* annotations = sdk::json::FindPath(updated, {"metadata", "annotations"});
  Json patch = {
      {"metadata", {{"annotations", annotations != nullptr ? *annotations : Json::object()}}},
      {"spec",
       {{"replicas", Replicas(updated)},
        {"minReadySeconds", GetNum(updated, {"spec", "minReadySeconds"})}}}};
  Json written;
  sdk::Status st =
      Send(*s.call, "PATCH", ApiPath("apps/v1", "replicasets", Namespace(updated), Name(updated)),
           kMergePatch, sdk::json::Dump(patch), &written);
  if (!st.ok()) return st;
  if (written.is_object() && !Name(written).empty()) {
    overlay_.Remember(written);
    s.rss[index] = std::move(written);
  } else {
    s.rss[index] = std::move(updated);
  }
  return sdk::Status::Ok();
}

sdk::Status DeploymentController::ScaleReplicaSet(Sync& s, size_t index, int64_t replicas) {
  const Json& rs = s.rss[index];
  int64_t desired = Replicas(s.d);
  int64_t max = desired + MaxSurge(s.d);
  if (Replicas(rs) == replicas && !ReplicasAnnotationsNeedUpdate(rs, desired, max)) {
    return sdk::Status::Ok();
  }
  Json copy = rs;
  copy["spec"]["replicas"] = replicas;
  SetReplicasAnnotations(copy, desired, max);
  int64_t before = Replicas(rs);
  std::string name = Name(rs);
  CAPSTAN_SDK_RETURN_IF_ERROR(UpdateReplicaSet(s, index, std::move(copy)));
  if (before != replicas) {
    RecordEvent(*s.call, s.d, "apps/v1", "Deployment", "deployment-controller", "Normal",
                "ScalingReplicaSet",
                std::string(replicas > before ? "Scaled up" : "Scaled down") + " replica set " +
                    name + " from " + std::to_string(before) + " to " + std::to_string(replicas),
                clock_());
  }
  return sdk::Status::Ok();
}

sdk::Status DeploymentController::PatchDeploymentAnnotations(Sync& s, const Json& annotations) {
  Json patch = {{"metadata", {{"annotations", annotations}}}};
  sdk::Status st =
      Send(*s.call, "PATCH", ApiPath("apps/v1", "deployments", Namespace(s.d), Name(s.d)),
           kMergePatch, sdk::json::Dump(patch));
  if (!st.ok()) return st;
  for (const auto& [k, v] : annotations.items()) s.d["metadata"]["annotations"][k] = v;
  return sdk::Status::Ok();
}

sdk::Status DeploymentController::WriteStatus(Sync& s, const Json& status) {
  std::string path = ApiPath("apps/v1", "deployments", Namespace(s.d), Name(s.d), "status");
  sdk::Status st = WriteStatusIfChanged(*s.call, path, s.d, status);
  if (!st.ok()) return st;
  s.d["status"] = status;
  return sdk::Status::Ok();
}

Json DeploymentController::CalculateStatus(const Sync& s) const {
  std::vector<const Json*> all = s.All();
  int64_t available = SumStatus(all, "availableReplicas");
  int64_t total = SumReplicas(all);
  int64_t unavailable = std::max<int64_t>(0, total - available);
  Json status = Json::object();
  auto set = [&](const char* field, int64_t v) {
    if (v != 0) status[field] = v;
  };
  set("observedGeneration", GetNum(s.d, {"metadata", "generation"}));
  set("replicas", SumStatus(all, "replicas"));
  set("updatedReplicas", s.NewRs() != nullptr ? StatusCount(*s.NewRs(), "replicas") : 0);
  set("readyReplicas", SumStatus(all, "readyReplicas"));
  set("availableReplicas", available);
  set("unavailableReplicas", unavailable);
  if (const Json* c = sdk::json::FindPath(s.d, {"status", "collisionCount"})) {
    status["collisionCount"] = *c;
  }
  if (const Json* c = sdk::json::FindPath(s.d, {"status", "conditions"})) {
    status["conditions"] = *c;
  }
  if (available >= Replicas(s.d) - MaxUnavailable(s.d)) {
    SetCondition(status, NewCondition("Available", "True", "MinimumReplicasAvailable",
                                      "Deployment has minimum availability.", clock_()));
  } else {
    SetCondition(status, NewCondition("Available", "False", "MinimumReplicasUnavailable",
                                      "Deployment does not have minimum availability.", clock_()));
  }
  return status;
}

}  // namespace capstan::controllers
