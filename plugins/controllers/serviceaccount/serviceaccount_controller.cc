// The ServiceAccount controller (see serviceaccount_controller.h).
#include "plugins/controllers/serviceaccount/serviceaccount_controller.h"

#include <algorithm>
#include <optional>

#include "plugins/controllers/kit/api.h"

namespace capstan::controllers {
namespace {

constexpr char kNamespaces[] = "/v1/namespaces";
constexpr char kServiceAccounts[] = "/v1/serviceaccounts";

}  // namespace

sdk::Status ServiceAccountController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  if (const Json* names = sdk::json::Find(*config, "serviceAccounts");
      names != nullptr && names->is_array()) {
    names_.clear();
    for (const Json& n : *names) {
      if (n.is_string()) names_.push_back(n.get<std::string>());
    }
  }
  return sdk::Status::Ok();
}

sdk::Status ServiceAccountController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(
      Json{{"primary", kNamespaces},
           {"watches", Json::array({Json{{"resource", kServiceAccounts}, {"map", "plugin"}}})},
           {"workers", workers_}});
  return sdk::Status::Ok();
}

sdk::Status ServiceAccountController::MapEvent(sdk::Call& call, std::string_view resource,
                                               sdk::EventType type, std::string_view object_json,
                                               std::string* keys_json) {
  (void)call;
  *keys_json = "[]";
  // Only a deletion can leave a namespace short of an account (upstream serviceAccountDeleted).
  if (resource != kServiceAccounts || type != sdk::EventType::kDeleted) return sdk::Status::Ok();
  std::optional<Json> sa = sdk::json::Parse(object_json);
  if (!sa || !sa->is_object()) return sdk::Status::Invalid("event without a JSON object");
  if (std::find(names_.begin(), names_.end(), Name(*sa)) == names_.end()) {
    return sdk::Status::Ok();
  }
  *keys_json = sdk::json::Dump(Json::array({Namespace(*sa)}));
  return sdk::Status::Ok();
}

sdk::Status ServiceAccountController::Reconcile(sdk::Call& call, std::string_view key,
                                                uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string cached;
  sdk::Status s = host_->CacheGet(kNamespaces, key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> ns = sdk::json::Parse(cached);
  if (!ns || !ns->is_object()) return sdk::Status::Error("cache returned a non-object");
  // Terminating namespaces refuse creates; a missing phase is Active (not yet defaulted).
  std::string phase = GetStr(*ns, {"status", "phase"}, "Active");
  if (phase != "Active" || Deleting(*ns)) return sdk::Status::Ok();
  const std::string name = Name(*ns);
  for (const std::string& account : names_) {
    std::string existing;
    s = host_->CacheGet(kServiceAccounts, name + "/" + account, &existing);
    if (s.ok()) continue;
    if (s.code() != CAPSTAN_RC_NOT_FOUND) return sdk::Status::RetryLater(s.message(), 1000);
    Json sa = {{"apiVersion", "v1"},
               {"kind", "ServiceAccount"},
               {"metadata", {{"name", account}, {"namespace", name}}}};
    s = Send(call, "POST", ApiPath("v1", "serviceaccounts", name), kJson, sdk::json::Dump(sa));
    if (s.ok() || s.code() == CAPSTAN_RC_ALREADY_EXISTS) continue;
    // 403 from a namespace that started terminating after the cache saw it: nothing to do.
    if (s.message().find("HTTP 403") != std::string::npos) return sdk::Status::Ok();
    return s;
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::controllers
