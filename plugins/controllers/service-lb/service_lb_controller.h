// The LoadBalancer controller (plugin `service-lb`), like k3s's ServiceLB without its pods:
// every Service of type LoadBalancer whose `spec.loadBalancerClass` is unset or this plugin's
// class gets one address of the configured pool in `status.loadBalancer.ingress[0].ip` (written
// through the status subresource); the node proxies (core/proxy) then serve that address like an
// externalIP. `spec.loadBalancerIP` is honoured when it is in the pool and free. The address is
// released when the Service is deleted or stops being a LoadBalancer (its status is cleared).
// Exported by plugin.cc; the pool in address_pool.h; README.md documents the config.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_SERVICE_LB_SERVICE_LB_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_SERVICE_LB_SERVICE_LB_CONTROLLER_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/object_util.h"
#include "plugins/controllers/service-lb/address_pool.h"

namespace capstan::controllers {

inline constexpr char kServiceLbPluginName[] = "service-lb";
inline constexpr char kServiceLbPluginVersion[] = "1.0.0";
inline constexpr char kServiceLbPluginDescription[] =
    "LoadBalancer controller: assigns Service load-balancer IPs from an address pool";
// RFC 5737 TEST-NET-2: never assigned to a real host, so a default pool cannot shadow anything
// on a developer's network. Reachable on the node itself (and from its pods) through the proxy.
inline constexpr char kServiceLbDefaultPool[] = "198.51.100.0/24";
inline constexpr char kServiceLbClass[] = "capstan.io/service-lb";
inline constexpr char kServiceLbSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "pools": {"type": "array", "items": {"type": "string"}},
    "loadBalancerClass": {"type": "string", "minLength": 1}
  }
})";

// Thread-safe: configuration is immutable after Init; the assignment map has its own mutex.
// One worker reconciles (allocation is serial, so two Services never race for one address).
class ServiceLbController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object or a pool entry is malformed.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  // OK when the status holds the wanted address (or none); requeued after 10 s while the wanted
  // address is taken or the pool is exhausted; RETRY_LATER when the cache is not ready or the
  // status write must be retried.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  // The clock events are stamped with (tests).
  void set_clock(Clock clock) { clock_ = std::move(clock); }

 private:
  // Type LoadBalancer with our class (or none).
  bool Ours(const Json& service) const;
  // Addresses other Services hold: in their cached status or assigned here ahead of the cache.
  sdk::Status InUseByOthers(std::string_view key, std::map<std::string, std::string>* out);
  // Forgets the addresses assigned to `key` (and, with `forget`, its last warning).
  void Release(std::string_view key, bool forget);

  const sdk::Host* host_ = nullptr;
  std::optional<AddressPool> pool_;
  std::string class_ = kServiceLbClass;
  Clock clock_ = SystemNow;
  std::mutex mu_;
  std::map<std::string, std::string> assigned_;  // address -> Service key, written by us
  std::map<std::string, std::string> problems_;  // Service key -> last warning (one event each)
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_SERVICE_LB_SERVICE_LB_CONTROLLER_H_
