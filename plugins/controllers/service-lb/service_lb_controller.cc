// The LoadBalancer controller (see service_lb_controller.h).
#include "plugins/controllers/service-lb/service_lb_controller.h"

#include <vector>

#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/kit/service_pods.h"

namespace capstan::controllers {
namespace {

constexpr char kComponent[] = "service-lb";
constexpr uint64_t kWaitMs = 10000;

// The ingress IPs of a Service's status.
std::vector<std::string> IngressIps(const Json& service) {
  std::vector<std::string> out;
  const Json* ingress = sdk::json::FindPath(service, {"status", "loadBalancer", "ingress"});
  if (ingress == nullptr || !ingress->is_array()) return out;
  for (const Json& i : *ingress) {
    std::string ip = GetStr(i, {"ip"});
    if (!ip.empty()) out.push_back(ip);
  }
  return out;
}

// Merge-patches status.loadBalancer.ingress to `ip` (empty: removes it) unless it is already
// exactly that.
sdk::Status WriteIngress(sdk::Call& call, const std::string& status_path,
                         const std::vector<std::string>& current, const std::string& ip) {
  if (ip.empty() ? current.empty() : current == std::vector<std::string>{ip}) {
    return sdk::Status::Ok();
  }
  Json ingress = ip.empty() ? Json(nullptr) : Json::array({Json{{"ip", ip}}});
  Json patch = {{"status", {{"loadBalancer", {{"ingress", ingress}}}}}};
  return Send(call, "PATCH", status_path, kMergePatch, sdk::json::Dump(patch));
}

}  // namespace

sdk::Status ServiceLbController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  std::vector<std::string> entries = {kServiceLbDefaultPool};
  if (const Json* pools = sdk::json::GetArray(*config, "pools")) {
    entries.clear();
    for (const Json& p : *pools) {
      if (!p.is_string()) return sdk::Status::Invalid("pools: entries are strings");
      entries.push_back(p.get<std::string>());
    }
  }
  std::string error;
  pool_ = AddressPool::Parse(entries, &error);
  if (!pool_) return sdk::Status::Invalid(error);
  class_ = sdk::json::GetString(*config, "loadBalancerClass").value_or(class_);
  return sdk::Status::Ok();
}

sdk::Status ServiceLbController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(Json{{"primary", kServicesResource}, {"workers", 1}});
  return sdk::Status::Ok();
}

bool ServiceLbController::Ours(const Json& service) const {
  if (GetStr(service, {"spec", "type"}) != "LoadBalancer") return false;
  std::string cls = GetStr(service, {"spec", "loadBalancerClass"});
  return cls.empty() || cls == class_;
}

void ServiceLbController::Release(std::string_view key, bool forget) {
  std::lock_guard<std::mutex> lock(mu_);
  if (forget) problems_.erase(std::string(key));
  for (auto it = assigned_.begin(); it != assigned_.end();) {
    it = it->second == key ? assigned_.erase(it) : std::next(it);
  }
}

sdk::Status ServiceLbController::InUseByOthers(std::string_view key,
                                               std::map<std::string, std::string>* out) {
  std::string listed;
  sdk::Status s = host_->CacheList(kServicesResource, "", "", &listed);
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> services = sdk::json::Parse(listed);
  if (!services || !services->is_array()) return sdk::Status::Error("cache returned a non-array");
  for (const Json& svc : *services) {
    std::string other = KeyOf(svc);
    if (other == key) continue;
    for (const std::string& ip : IngressIps(svc)) (*out)[ip] = other;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [ip, owner] : assigned_) {
    if (owner != key) (*out)[ip] = owner;
  }
  return sdk::Status::Ok();
}

sdk::Status ServiceLbController::Reconcile(sdk::Call& call, std::string_view key,
                                           uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string cached;
  sdk::Status s = host_->CacheGet(kServicesResource, key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    Release(key, true);  // deleted: its address is free again
    return sdk::Status::Ok();
  }
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> service = sdk::json::Parse(cached);
  if (!service || !service->is_object()) return sdk::Status::Error("cache returned a non-object");
  std::string ns;
  std::string name;
  SplitKey(key, &ns, &name);
  const std::string status_path = ApiPath("v1", "services", ns, name, "status");
  std::vector<std::string> current = IngressIps(*service);

  if (!Ours(*service)) {
    Release(key, true);
    // Another class's LoadBalancer is that implementation's business; a Service that stopped
    // being a LoadBalancer loses the address we gave it.
    bool stale = GetStr(*service, {"spec", "type"}) != "LoadBalancer" && !current.empty() &&
                 pool_->Contains(current.front());
    if (!stale) return sdk::Status::Ok();
    return WriteIngress(call, status_path, current, "");
  }

  std::map<std::string, std::string> taken;
  CAPSTAN_SDK_RETURN_IF_ERROR(InUseByOthers(key, &taken));
  auto free = [&](const std::string& ip) { return pool_->Contains(ip) && taken.count(ip) == 0; };
  std::string want;
  std::string problem;
  std::string requested = GetStr(*service, {"spec", "loadBalancerIP"});
  if (!requested.empty()) {
    if (!pool_->Contains(requested)) {
      problem = "requested loadBalancerIP " + requested + " is not in the address pool";
    } else if (!free(requested)) {
      problem = "requested loadBalancerIP " + requested + " is in use by " + taken[requested];
    } else {
      want = requested;
    }
  } else if (!current.empty() && free(current.front())) {
    want = current.front();
  } else {
    std::optional<std::string> ip =
        pool_->FirstFree([&](const std::string& a) { return taken.count(a) != 0; });
    if (ip) {
      want = *ip;
    } else {
      problem = "no free address in the pool";
    }
  }

  Release(key, false);
  if (!want.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    assigned_[want] = std::string(key);
  }
  sdk::Status written = WriteIngress(call, status_path, current, want);
  if (!written.ok()) {
    Release(key, false);
    return written;
  }
  bool changed = current.empty() ? !want.empty() : current.front() != want;
  bool new_problem = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string& last = problems_[std::string(key)];
    new_problem = !problem.empty() && last != problem;
    last = problem;
    if (problem.empty()) problems_.erase(std::string(key));
  }
  if (!problem.empty()) {
    if (new_problem) {
      RecordEvent(call, *service, "v1", "Service", kComponent, "Warning", "AllocationFailed",
                  problem, clock_());
    }
    *requeue_after_ms = kWaitMs;  // the address may be freed later; nothing else wakes us
  } else if (changed) {
    RecordEvent(call, *service, "v1", "Service", kComponent, "Normal", "EnsuredLoadBalancer",
                "Assigned IP " + want, clock_());
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::controllers
