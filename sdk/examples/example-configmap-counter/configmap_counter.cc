// Example controller plugin `example-configmap-counter`: reconcile logic (see
// configmap_counter.h).
#include "configmap_counter.h"

#include <optional>

#include "capstan/sdk/call.h"
#include "capstan/sdk/json.h"

namespace capstan::examples {

using sdk::json::Json;

sdk::Status ConfigMapCounter::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  annotation_ = sdk::json::GetString(*config, "annotation").value_or(kDefaultAnnotation);
  label_selector_ = sdk::json::GetString(*config, "labelSelector").value_or("");
  host_ = &host;
  patches_ = host.Counter("patches_total", "Namespaces whose annotation was updated");
  return sdk::Status::Ok();
}

sdk::Status ConfigMapCounter::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(
      Json{{"primary", "/v1/namespaces"},
           {"watches", Json::array({Json{{"resource", "/v1/configmaps"}, {"map", "plugin"}}})},
           {"workers", 1},
           {"resyncSeconds", 0}});
  return sdk::Status::Ok();
}

sdk::Status ConfigMapCounter::MapEvent(sdk::Call& call, std::string_view resource,
                                       sdk::EventType type, std::string_view object_json,
                                       std::string* keys_json) {
  (void)call, (void)type;
  if (resource != "/v1/configmaps") return sdk::Status::Skip();
  std::optional<Json> object = sdk::json::Parse(object_json);
  const Json* metadata = object ? sdk::json::GetObject(*object, "metadata") : nullptr;
  std::optional<std::string> ns =
      metadata ? sdk::json::GetString(*metadata, "namespace") : std::nullopt;
  if (!ns) return sdk::Status::Invalid("ConfigMap without metadata.namespace");
  *keys_json = sdk::json::Dump(Json::array({*ns}));
  return sdk::Status::Ok();
}

sdk::Status ConfigMapCounter::Reconcile(sdk::Call& call, std::string_view key,
                                        uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string ns_json;
  sdk::Status s = host_->CacheGet("/v1/namespaces", key, &ns_json);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();  // deleted: nothing to keep
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);

  std::string list_json;
  s = host_->CacheList("/v1/configmaps", key, label_selector_, &list_json);
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> list = sdk::json::Parse(list_json);
  if (!list || !list->is_array()) return sdk::Status::Error("cache returned a non-array list");
  std::string want = std::to_string(list->size());

  std::optional<Json> ns = sdk::json::Parse(ns_json);
  const Json* annotations = ns ? sdk::json::FindPath(*ns, {"metadata", "annotations"}) : nullptr;
  if (annotations != nullptr && sdk::json::GetString(*annotations, annotation_) == want) {
    return sdk::Status::Ok();
  }

  if (call.Cancelled()) return sdk::Status::DeadlineExceeded("cancelled before patching");
  std::string patch = sdk::json::Dump(Json{{"metadata", {{"annotations", {{annotation_, want}}}}}});
  sdk::ApiResponse response;
  s = call.ApiRequest("PATCH", "/api/v1/namespaces/" + std::string(key),
                      "application/merge-patch+json", patch, &response);
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  int32_t code = response.http_status;
  if (code == 200 || code == 404) {
    if (code == 200) patches_.Record(1);
    return sdk::Status::Ok();
  }
  if (code == 409 || code == 429 || code >= 500) {
    return sdk::Status::RetryLater("PATCH namespace " + std::string(key) + ": HTTP " +
                                   std::to_string(code));
  }
  return sdk::Status::Error("PATCH namespace " + std::string(key) + ": HTTP " +
                            std::to_string(code) + ": " + response.body);
}

}  // namespace capstan::examples
