// The ResourceQuota admission plugin (resource_quota_admission.h). Behaviour follows
// kube-apiserver v1.32 plugin/pkg/admission/resourcequota (CheckRequest).
#include "plugins/admission/resource-quota/resource_quota_admission.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <utility>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::plugins {
namespace {

using controllers::QuotaTarget;
using controllers::ResourceList;
using sdk::json::Json;

constexpr char kQuotas[] = "/v1/resourcequotas";

// The cache services resolve "group/version/resource" by group and resource; the version is
// not known here (a quota names `count/deployments.apps`), so any placeholder serves.
std::string CacheResource(const QuotaTarget& t) {
  return t.group + (t.group.empty() ? "/v1/" : "/v/") + t.resource;
}

ResourceList Mask(const ResourceList& list, const std::set<std::string>& names) {
  ResourceList out;
  for (const auto& [name, q] : list) {
    if (names.count(name) > 0) out[name] = q;
  }
  return out;
}

std::set<std::string> Names(const ResourceList& list) {
  std::set<std::string> out;
  for (const auto& [name, q] : list) out.insert(name);
  return out;
}

}  // namespace

sdk::Status ResourceQuotaAdmission::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json.empty() ? "{}" : config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  reservation_ms_ = sdk::json::GetInt(*config, "reservationSeconds").value_or(10) * 1000;
  now_ms_ = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  return sdk::Status::Ok();
}

sdk::Status ResourceQuotaAdmission::List(const QuotaTarget& target, std::string_view ns,
                                         Json* items) {
  std::string text;
  sdk::Status s = host_->CacheList(CacheResource(target), ns, {}, &text);
  std::optional<Json> list = s.ok() ? sdk::json::Parse(text) : std::nullopt;
  // UNAVAILABLE: the resource is not served, so nothing of it exists to count.
  *items = list && list->is_array() ? std::move(*list) : Json::array();
  std::set<std::string> cached;
  for (const Json& o : *items) cached.insert(controllers::Name(o));
  auto seen = [&](const Reservation& r) {
    return r.target == target && r.ns == ns && cached.count(r.name) > 0;
  };
  reservations_.erase(std::remove_if(reservations_.begin(), reservations_.end(), seen),
                      reservations_.end());
  for (const Reservation& r : reservations_) {
    if (r.target == target && r.ns == ns) items->push_back(r.object);
  }
  return sdk::Status::Ok();
}

sdk::Status ResourceQuotaAdmission::Validate(sdk::Call& call, const sdk::AdmissionRequest& request,
                                             std::string* warnings_json) {
  (void)call, (void)warnings_json;
  if (request.operation() != sdk::AdmissionOperation::kCreate || !request.subresource().empty() ||
      request.namespace_name().empty()) {
    return sdk::Status::Skip();
  }
  std::string ns(request.namespace_name());
  std::string text;
  if (!host_->CacheList(kQuotas, ns, {}, &text).ok()) return sdk::Status::Skip();
  std::optional<Json> quotas = sdk::json::Parse(text);
  if (!quotas || !quotas->is_array() || quotas->empty()) return sdk::Status::Skip();
  std::optional<Json> object = sdk::json::Parse(request.object_json());
  if (!object || !object->is_object()) return sdk::Status::Skip();
  QuotaTarget target{std::string(request.group()), std::string(request.resource())};
  std::sort(quotas->begin(), quotas->end(), [](const Json& a, const Json& b) {
    return controllers::Name(a) < controllers::Name(b);
  });

  // Quotas that track this kind and whose scopes match; constraints first, as upstream.
  std::vector<const Json*> pertinent;
  for (const Json& q : *quotas) {
    if (!controllers::MatchesScopes(q, target, *object)) continue;
    std::set<std::string> restricted;
    for (const std::string& name : controllers::HardNames(q)) {
      std::optional<QuotaTarget> t = controllers::TargetOf(name);
      if (t && *t == target) restricted.insert(name);
    }
    if (restricted.empty()) continue;
    if (target == QuotaTarget{"", "pods"}) {
      std::string err = controllers::PodConstraintError(*object, restricted);
      if (!err.empty()) {
        return sdk::Status::Denied("failed quota: " + controllers::Name(q) + ": " + err);
      }
    }
    pertinent.push_back(&q);
  }
  ResourceList delta;
  for (const auto& [name, q] : controllers::ObjectUsage(target, *object)) {
    if (q.milli != 0) delta[name] = q;
  }
  if (pertinent.empty() || delta.empty()) return sdk::Status::Ok();

  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = now_ms_();
  reservations_.erase(
      std::remove_if(reservations_.begin(), reservations_.end(),
                     [&](const Reservation& r) { return now - r.at_ms > reservation_ms_; }),
      reservations_.end());
  for (const Json* q : pertinent) {
    ResourceList hard = controllers::ParseResourceList(sdk::json::FindPath(*q, {"spec", "hard"}));
    ResourceList requested = Mask(delta, Names(hard));
    if (requested.empty()) continue;
    // Usage of just the requested names, over the objects the quota's scopes select.
    Json narrowed = *q;
    narrowed["spec"]["hard"] = controllers::ResourceListJson(requested);
    ResourceList used;
    CAPSTAN_SDK_RETURN_IF_ERROR(controllers::ComputeUsed(
        narrowed,
        [&](const QuotaTarget& t, std::string_view list_ns, Json* items) {
          return List(t, list_ns, items);
        },
        &used));
    std::set<std::string> exceeded;
    for (const auto& [name, want] : requested) {
      if (used[name].Plus(want).milli > hard[name].milli) exceeded.insert(name);
    }
    if (!exceeded.empty()) {
      return sdk::Status::Denied("exceeded quota: " + controllers::Name(*q) +
                                 ", requested: " + PrettyPrint(Mask(requested, exceeded)) +
                                 ", used: " + PrettyPrint(Mask(used, exceeded)) +
                                 ", limited: " + PrettyPrint(Mask(hard, exceeded)));
    }
  }
  if (!request.dry_run()) {
    reservations_.push_back({target, ns, controllers::Name(*object), std::move(*object), now});
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins
