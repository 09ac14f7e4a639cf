// The Endpoints controller (see endpoints_controller.h).
#include "plugins/controllers/endpoints/endpoints_controller.h"

#include <optional>
#include <utility>
#include <vector>

#include "plugins/controllers/endpoints/endpoints_subsets.h"
#include "plugins/controllers/kit/api.h"

namespace capstan::controllers {
namespace {

constexpr char kEndpointsResource[] = "/v1/endpoints";
constexpr char kOverCapacity[] = "endpoints.kubernetes.io/over-capacity";

// The labels upstream gives the Endpoints: the Service's, plus the headless marker.
Json DesiredLabels(const Json& service) {
  const Json* labels = Labels(service);
  Json out = labels != nullptr && labels->is_object() ? *labels : Json::object();
  if (IsHeadless(service)) {
    out[kHeadlessLabel] = "";
  } else {
    out.erase(kHeadlessLabel);
  }
  return out;
}

Json FieldOr(const Json& obj, std::initializer_list<std::string_view> path, const Json& fallback) {
  const Json* v = sdk::json::FindPath(obj, path);
  return v != nullptr ? *v : fallback;
}

}  // namespace

sdk::Status EndpointsController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  max_endpoints_ = sdk::json::GetInt(*config, "maxEndpoints").value_or(max_endpoints_);
  return sdk::Status::Ok();
}

sdk::Status EndpointsController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(
      Json{{"primary", kServicesResource},
           {"watches", Json::array({Json{{"resource", kPodsResource}, {"map", "plugin"}},
                                    Json{{"resource", kEndpointsResource}, {"map", "plugin"}}})},
           {"workers", workers_}});
  return sdk::Status::Ok();
}

sdk::Status EndpointsController::MapEvent(sdk::Call& call, std::string_view resource,
                                          sdk::EventType type, std::string_view object_json,
                                          std::string* keys_json) {
  (void)call;
  *keys_json = "[]";
  if (resource == kPodsResource) return pod_map_.Map(*host_, type, object_json, keys_json);
  if (resource == kEndpointsResource && type == sdk::EventType::kDeleted) {
    // Someone deleted the Endpoints of a Service: recreate them (upstream onEndpointsDelete).
    std::optional<Json> ep = sdk::json::Parse(object_json);
    if (ep && ep->is_object()) *keys_json = sdk::json::Dump(Json::array({KeyOf(*ep)}));
  }
  return sdk::Status::Ok();
}

sdk::Status EndpointsController::Reconcile(sdk::Call& call, std::string_view key,
                                           uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string ns;
  std::string name;
  SplitKey(key, &ns, &name);
  std::string cached;
  sdk::Status s = host_->CacheGet(kServicesResource, key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    // The Service is gone: so are its Endpoints (upstream deletes them by name).
    sdk::Status d = Send(call, "DELETE", ApiPath("v1", "endpoints", ns, name), kJson, "");
    return d.code() == CAPSTAN_RC_NOT_FOUND ? sdk::Status::Ok() : d;
  }
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> service = sdk::json::Parse(cached);
  if (!service || !service->is_object()) return sdk::Status::Error("cache returned a non-object");
  std::optional<Selector> selector = ServiceSelector(*service);
  if (!selector) return sdk::Status::Ok();  // manual Endpoints: not ours

  std::vector<Json> pods;
  CAPSTAN_SDK_RETURN_IF_ERROR(SelectedPods(*host_, *service, *selector, &pods));
  bool truncated = false;
  Json subsets = BuildSubsets(*service, pods, max_endpoints_, &truncated);
  Json labels = DesiredLabels(*service);

  std::string current_text;
  sdk::Status got = host_->CacheGet(kEndpointsResource, key, &current_text);
  std::optional<Json> current;
  if (got.ok()) current = sdk::json::Parse(current_text);
  if (!got.ok() && got.code() != CAPSTAN_RC_NOT_FOUND) {
    return sdk::Status::RetryLater(got.message(), 1000);
  }

  Json annotations = Json::object();
  if (current) annotations = FieldOr(*current, {"metadata", "annotations"}, Json::object());
  if (truncated) {
    annotations[kOverCapacity] = "truncated";
  } else {
    annotations.erase(kOverCapacity);
  }
  if (current && FieldOr(*current, {"subsets"}, Json::array()) == subsets &&
      FieldOr(*current, {"metadata", "labels"}, Json::object()) == labels &&
      FieldOr(*current, {"metadata", "annotations"}, Json::object()) == annotations) {
    return sdk::Status::Ok();
  }
  Json meta = {{"name", name}, {"namespace", ns}, {"labels", labels}};
  if (!annotations.empty()) meta["annotations"] = annotations;
  Json endpoints = {{"apiVersion", "v1"}, {"kind", "Endpoints"}, {"metadata", meta}};
  if (!subsets.empty()) endpoints["subsets"] = subsets;
  if (current) {
    // Keep what others set (finalizers, owner references) and replace the rest.
    Json merged = *current;
    merged["metadata"]["labels"] = labels;
    merged["metadata"]["annotations"] = annotations;
    if (subsets.empty()) {
      merged.erase("subsets");
    } else {
      merged["subsets"] = subsets;
    }
    return Send(call, "PUT", ApiPath("v1", "endpoints", ns, name), kJson, sdk::json::Dump(merged));
  }
  return Send(call, "POST", ApiPath("v1", "endpoints", ns), kJson, sdk::json::Dump(endpoints));
}

}  // namespace capstan::controllers
