// The EndpointSlice controller (see endpointslice_controller.h).
#include "plugins/controllers/endpointslice/endpointslice_controller.h"

#include <chrono>
#include <cstdlib>
#include <optional>
#include <utility>

#include "plugins/controllers/endpointslice/slice_plan.h"
#include "plugins/controllers/kit/api.h"

namespace capstan::controllers {
namespace {

constexpr char kSlicesResource[] = "discovery.k8s.io/v1/endpointslices";
constexpr char kGroupVersion[] = "discovery.k8s.io/v1";
constexpr int64_t kStaleForgetMs = 5000;
constexpr uint64_t kStaleRequeueMs = 100;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t ResourceVersion(const Json& obj) {
  return std::strtoll(GetStr(obj, {"metadata", "resourceVersion"}).c_str(), nullptr, 10);
}

bool Managed(const Json& slice) {
  const Json* labels = Labels(slice);
  return labels != nullptr && GetStr(*labels, {kManagedByLabel}) == kManagedBy;
}

}  // namespace

sdk::Status EndpointSliceController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  max_per_slice_ = sdk::json::GetInt(*config, "maxEndpointsPerSlice").value_or(max_per_slice_);
  if (!clock_ms_) clock_ms_ = SteadyMs;
  return sdk::Status::Ok();
}

sdk::Status EndpointSliceController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(
      Json{{"primary", kServicesResource},
           {"watches", Json::array({Json{{"resource", kPodsResource}, {"map", "plugin"}},
                                    Json{{"resource", kSlicesResource}, {"map", "plugin"}}})},
           {"workers", workers_}});
  return sdk::Status::Ok();
}

sdk::Status EndpointSliceController::MapEvent(sdk::Call& call, std::string_view resource,
                                              sdk::EventType type, std::string_view object_json,
                                              std::string* keys_json) {
  (void)call;
  *keys_json = "[]";
  if (resource == kPodsResource) return pod_map_.Map(*host_, type, object_json, keys_json);
  if (resource != kSlicesResource) return sdk::Status::Ok();
  std::optional<Json> slice = sdk::json::Parse(object_json);
  if (!slice || !slice->is_object() || !Managed(*slice)) return sdk::Status::Ok();
  std::string service = GetStr(*slice, {"metadata", "labels", kServiceNameLabel});
  if (!service.empty()) {
    *keys_json = sdk::json::Dump(Json::array({Namespace(*slice) + "/" + service}));
  }
  return sdk::Status::Ok();
}

sdk::Status EndpointSliceController::CachedSlices(const std::string& ns, const std::string& name,
                                                  std::vector<Json>* slices) const {
  std::string text;
  sdk::Status s =
      host_->CacheList(kSlicesResource, ns, std::string(kServiceNameLabel) + "=" + name, &text);
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> all = sdk::json::Parse(text);
  if (!all || !all->is_array()) return sdk::Status::Error("cache returned a non-array slice list");
  for (Json& slice : *all) {
    if (Managed(slice)) slices->push_back(std::move(slice));
  }
  return sdk::Status::Ok();
}

bool EndpointSliceController::CacheIsStale(const std::string& key,
                                           const std::vector<Json>& cached) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(key);
  if (it == pending_.end()) return false;
  if (clock_ms_() - it->second.since_ms > kStaleForgetMs) {
    pending_.erase(it);  // a write the cache never showed was undone by someone else
    return false;
  }
  std::map<std::string, int64_t> seen;
  for (const Json& slice : cached) seen[Name(slice)] = ResourceVersion(slice);
  for (const auto& [name, rv] : it->second.slices) {
    auto s = seen.find(name);
    bool stale = rv == 0 ? s != seen.end() : s == seen.end() || s->second < rv;
    if (stale) return true;
  }
  pending_.erase(it);
  return false;
}

void EndpointSliceController::RecordWrites(const std::string& key,
                                           const std::map<std::string, int64_t>& writes) {
  if (writes.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  Pending& p = pending_[key];
  p.since_ms = clock_ms_();
  for (const auto& [name, rv] : writes) p.slices[name] = rv;
}

sdk::Status EndpointSliceController::Reconcile(sdk::Call& call, std::string_view key,
                                               uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string k(key);
  std::string ns;
  std::string name;
  SplitKey(key, &ns, &name);
  std::vector<Json> existing;
  CAPSTAN_SDK_RETURN_IF_ERROR(CachedSlices(ns, name, &existing));
  if (CacheIsStale(k, existing)) {
    *requeue_after_ms = kStaleRequeueMs;
    return sdk::Status::Ok();
  }

  std::string cached;
  sdk::Status s = host_->CacheGet(kServicesResource, key, &cached);
  SlicePlan plan;
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    // The Service is gone: its slices go too (the garbage collector would also remove them
    // through their owner reference; this does not wait for it).
    for (const Json& slice : existing) plan.remove.push_back(Name(slice));
  } else if (!s.ok()) {
    return sdk::Status::RetryLater(s.message(), 1000);
  } else {
    std::optional<Json> service = sdk::json::Parse(cached);
    if (!service || !service->is_object()) return sdk::Status::Error("cache returned a non-object");
    std::optional<Selector> selector = ServiceSelector(*service);
    if (!selector || GetStr(*service, {"spec", "type"}) == "ExternalName") {
      return sdk::Status::Ok();  // no selector: the user manages the endpoints
    }
    std::vector<Json> pods;
    CAPSTAN_SDK_RETURN_IF_ERROR(SelectedPods(*host_, *service, *selector, &pods));
    plan = PlanSlices(*service, DesiredFor(*service, pods), existing,
                      static_cast<size_t>(max_per_slice_));
  }

  std::map<std::string, int64_t> writes;
  sdk::Status result = sdk::Status::Ok();
  for (const std::string& victim : plan.remove) {
    sdk::Status d =
        Send(call, "DELETE", ApiPath(kGroupVersion, "endpointslices", ns, victim), kJson, "");
    if (!d.ok() && d.code() != CAPSTAN_RC_NOT_FOUND) {
      result = d;
      break;
    }
    writes[victim] = 0;
  }
  for (const Json& slice : plan.update) {
    if (!result.ok()) break;
    Json written;
    result = Send(call, "PUT", ApiPath(kGroupVersion, "endpointslices", ns, Name(slice)), kJson,
                  sdk::json::Dump(slice), &written);
    if (result.ok()) writes[Name(written)] = ResourceVersion(written);
  }
  for (const Json& slice : plan.create) {
    if (!result.ok()) break;
    Json written;
    result = Send(call, "POST", ApiPath(kGroupVersion, "endpointslices", ns), kJson,
                  sdk::json::Dump(slice), &written);
    if (result.ok()) writes[Name(written)] = ResourceVersion(written);
  }
  RecordWrites(k, writes);
  return result;
}

}  // namespace capstan::controllers
