// The ResourceQuota controller (see resource_quota_controller.h).
#include "plugins/controllers/resourcequota/resource_quota_controller.h"

#include <utility>

#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/kit/json_subset.h"

namespace capstan::controllers {
namespace {

constexpr char kQuotas[] = "/v1/resourcequotas";

// Core resources the controller watches; events on them recalculate their namespace's quotas.
const std::vector<std::string>& Watched() {
  static const std::vector<std::string> kWatched = {
      "pods",       "services", "persistentvolumeclaims",
      "configmaps", "secrets",  "replicationcontrollers"};
  return kWatched;
}

bool IsWatched(const QuotaTarget& t) {
  if (!t.group.empty()) return false;
  for (const std::string& w : Watched()) {
    if (w == t.resource) return true;
  }
  return t.resource == "resourcequotas";
}

}  // namespace

sdk::Status ResourceQuotaController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  resync_seconds_ = sdk::json::GetInt(*config, "resyncSeconds").value_or(resync_seconds_);
  return sdk::Status::Ok();
}

sdk::Status ResourceQuotaController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  Json watches = Json::array();
  for (const std::string& r : Watched()) {
    watches.push_back({{"resource", "/v1/" + r}, {"map", "plugin"}});
  }
  *watch_json = sdk::json::Dump(Json{{"primary", kQuotas},
                                     {"watches", watches},
                                     {"workers", workers_},
                                     {"resyncSeconds", resync_seconds_}});
  return sdk::Status::Ok();
}

sdk::Status ResourceQuotaController::MapEvent(sdk::Call& call, std::string_view resource,
                                              sdk::EventType type, std::string_view object_json,
                                              std::string* keys_json) {
  (void)call, (void)type;
  *keys_json = "[]";
  std::optional<Json> object = ParseObjectMeta(object_json);  // only its namespace matters
  if (!object || !object->is_object()) return sdk::Status::Invalid("event without a JSON object");
  QuotaTarget target{"", std::string(resource.substr(resource.rfind('/') + 1))};
  std::string list;
  if (!host_->CacheList(kQuotas, Namespace(*object), {}, &list).ok()) return sdk::Status::Ok();
  std::optional<Json> quotas = sdk::json::Parse(list);
  Json keys = Json::array();
  for (const Json& q : quotas && quotas->is_array() ? *quotas : Json::array()) {
    for (const std::string& name : HardNames(q)) {
      std::optional<QuotaTarget> t = TargetOf(name);
      if (t && *t == target) {
        keys.push_back(KeyOf(q));
        break;
      }
    }
  }
  *keys_json = sdk::json::Dump(keys);
  return sdk::Status::Ok();
}

sdk::Status ResourceQuotaController::CollectionPath(sdk::Call& call, const QuotaTarget& target,
                                                    std::string_view ns, std::string* path) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!discovered_) {
      std::vector<ApiResource> resources;
      CAPSTAN_SDK_RETURN_IF_ERROR(DiscoverResources(call, &resources));
      discovered_ = std::move(resources);
    }
    for (const ApiResource& r : *discovered_) {
      std::string group = r.group_version.substr(
          0, r.group_version.rfind('/') == std::string::npos ? 0 : r.group_version.rfind('/'));
      if (group == target.group && r.plural == target.resource && r.Can("list")) {
        *path = r.Path(r.namespaced ? ns : std::string_view());
        return sdk::Status::Ok();
      }
    }
    discovered_.reset();  // a resource served since the last discovery (a new CRD)
  }
  return sdk::Status::NotFound("no served resource " + target.resource + "." + target.group);
}

sdk::Status ResourceQuotaController::List(sdk::Call& call, const QuotaTarget& target,
                                          std::string_view ns, Json* items) {
  if (IsWatched(target)) {
    std::string text;
    sdk::Status s = host_->CacheList("/v1/" + target.resource, ns, {}, &text);
    if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
    std::optional<Json> list = sdk::json::Parse(text);
    if (!list || !list->is_array()) return sdk::Status::Error("cache returned a non-array list");
    *items = std::move(*list);
    return sdk::Status::Ok();
  }
  std::string path;
  sdk::Status s = CollectionPath(call, target, ns, &path);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    *items = Json::array();  // nothing served, nothing counted
    return sdk::Status::Ok();
  }
  CAPSTAN_SDK_RETURN_IF_ERROR(s);
  Json list;
  CAPSTAN_SDK_RETURN_IF_ERROR(Send(call, "GET", path, "", "", &list));
  const Json* got = sdk::json::Find(list, "items");
  *items = got != nullptr && got->is_array() ? *got : Json::array();
  return sdk::Status::Ok();
}

sdk::Status ResourceQuotaController::Reconcile(sdk::Call& call, std::string_view key,
                                               uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string cached;
  sdk::Status s = host_->CacheGet(kQuotas, key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> quota = sdk::json::Parse(cached);
  if (!quota || !quota->is_object()) return sdk::Status::Error("cache returned a non-object");
  if (Deleting(*quota)) return sdk::Status::Ok();

  ResourceList used;
  CAPSTAN_SDK_RETURN_IF_ERROR(ComputeUsed(
      *quota,
      [&](const QuotaTarget& t, std::string_view ns, Json* items) {
        return List(call, t, ns, items);
      },
      &used));
  const Json* hard = sdk::json::FindPath(*quota, {"spec", "hard"});
  Json status = Json::object();
  status["hard"] = hard != nullptr && hard->is_object() ? *hard : Json::object();
  status["used"] = ResourceListJson(used);
  std::string path = ApiPath("v1", "resourcequotas", Namespace(*quota), Name(*quota), "status");
  s = WriteStatusIfChanged(call, path, *quota, status);
  return s.code() == CAPSTAN_RC_NOT_FOUND ? sdk::Status::Ok() : s;
}

}  // namespace capstan::controllers
