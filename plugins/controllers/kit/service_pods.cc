// Service-to-pod helpers (service_pods.h).
#include "plugins/controllers/kit/service_pods.h"

#include <utility>

#include "plugins/controllers/kit/json_subset.h"

namespace capstan::controllers {

std::optional<Selector> ServiceSelector(const Json& service) {
  const Json* selector = sdk::json::FindPath(service, {"spec", "selector"});
  if (selector == nullptr || !selector->is_object() || selector->empty()) return std::nullopt;
  return Selector::FromMap(*selector);
}

bool IsHeadless(const Json& service) { return GetStr(service, {"spec", "clusterIP"}) == "None"; }

bool PublishNotReadyAddresses(const Json& service) {
  const Json* spec = sdk::json::Find(service, "spec");
  return spec != nullptr && sdk::json::GetBool(*spec, "publishNotReadyAddresses").value_or(false);
}

bool ShouldPodBeInEndpoints(const Json& pod, bool include_terminating) {
  if (PodIpv4(pod).empty()) return false;
  std::string phase = GetStr(pod, {"status", "phase"});
  if (phase == "Succeeded" || phase == "Failed") return false;
  return include_terminating || !Deleting(pod);
}

std::string PodIpv4(const Json& pod) {
  auto is_v4 = [](const std::string& ip) {
    return !ip.empty() && ip.find(':') == std::string::npos;
  };
  std::string ip = GetStr(pod, {"status", "podIP"});
  if (is_v4(ip)) return ip;
  const Json* ips = sdk::json::FindPath(pod, {"status", "podIPs"});
  if (ips != nullptr && ips->is_array()) {
    for (const Json& entry : *ips) {
      std::string candidate = GetStr(entry, {"ip"});
      if (is_v4(candidate)) return candidate;
    }
  }
  return "";
}

std::optional<int64_t> ResolveTargetPort(const Json& service_port, const Json& pod) {
  const Json* target = sdk::json::Find(service_port, "targetPort");
  if (target != nullptr && target->is_number_integer() && target->get<int64_t>() > 0) {
    return target->get<int64_t>();
  }
  if (target == nullptr || !target->is_string()) return GetNum(service_port, {"port"});
  std::string name = target->get<std::string>();
  std::string protocol = GetStr(service_port, {"protocol"}, "TCP");
  const Json* containers = sdk::json::FindPath(pod, {"spec", "containers"});
  for (const Json& c :
       containers != nullptr && containers->is_array() ? *containers : Json::array()) {
    const Json* ports = sdk::json::Find(c, "ports");
    for (const Json& p : ports != nullptr && ports->is_array() ? *ports : Json::array()) {
      if (GetStr(p, {"name"}) == name && GetStr(p, {"protocol"}, "TCP") == protocol) {
        return GetNum(p, {"containerPort"});
      }
    }
  }
  return std::nullopt;
}

bool ShouldSetHostname(const Json& pod, const Json& service) {
  return !GetStr(pod, {"spec", "hostname"}).empty() &&
         GetStr(pod, {"spec", "subdomain"}) == Name(service) &&
         Namespace(pod) == Namespace(service);
}

Json PodReference(const Json& pod) {
  return Json{
      {"kind", "Pod"}, {"namespace", Namespace(pod)}, {"name", Name(pod)}, {"uid", Uid(pod)}};
}

sdk::Status SelectedPods(const sdk::Host& host, const Json& service, const Selector& selector,
                         std::vector<Json>* pods) {
  std::string text;
  sdk::Status s = host.CacheList(kPodsResource, Namespace(service), {}, &text);
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> all = sdk::json::Parse(text);
  if (!all || !all->is_array()) return sdk::Status::Error("cache returned a non-array pod list");
  for (Json& pod : *all) {
    if (selector.Matches(Labels(pod))) pods->push_back(std::move(pod));
  }
  return sdk::Status::Ok();
}

sdk::Status PodServiceMap::Map(const sdk::Host& host, sdk::EventType type,
                               std::string_view pod_json, std::string* keys_json) {
  *keys_json = "[]";
  std::optional<Json> pod = ParseObjectMeta(pod_json);  // key and labels
  if (!pod || !pod->is_object()) return sdk::Status::Invalid("pod event without a JSON object");
  std::set<std::string> now;
  if (type != sdk::EventType::kDeleted) {
    std::string list;
    if (host.CacheList(kServicesResource, Namespace(*pod), {}, &list).ok()) {
      std::optional<Json> services = sdk::json::Parse(list);
      for (const Json& svc : services && services->is_array() ? *services : Json::array()) {
        std::optional<Selector> selector = ServiceSelector(svc);
        if (selector && selector->Matches(Labels(*pod))) now.insert(KeyOf(svc));
      }
    }
  }
  std::set<std::string> keys = now;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string pod_key = KeyOf(*pod);
    auto it = last_.find(pod_key);
    if (it != last_.end()) keys.insert(it->second.begin(), it->second.end());
    if (type == sdk::EventType::kDeleted || now.empty()) {
      if (it != last_.end()) last_.erase(it);
    } else {
      last_[pod_key] = std::move(now);
    }
  }
  *keys_json = sdk::json::Dump(Json(keys));
  return sdk::Status::Ok();
}

}  // namespace capstan::controllers
