// Service-to-pod helpers shared by the endpoints and endpointslice controllers
// (plugins/controllers/endpoints, plugins/controllers/endpointslice): selectors, which pods
// belong in endpoints, target-port resolution (upstream podutil.FindPort) and the pod-event to
// Service mapping that remembers old matches so a relabelled pod updates the Service it left.
// Sees only the SDK. Tests in tests/plugins/controllers/kit/service_pods_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_KIT_SERVICE_PODS_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_KIT_SERVICE_PODS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kServicesResource[] = "/v1/services";
inline constexpr char kPodsResource[] = "/v1/pods";
inline constexpr char kServiceNameLabel[] = "kubernetes.io/service-name";
inline constexpr char kHeadlessLabel[] = "service.kubernetes.io/headless";

// The Service's spec.selector; nullopt when it has none (or an empty one): such Services get
// their endpoints from their users, never from the controllers.
std::optional<Selector> ServiceSelector(const Json& service);
bool IsHeadless(const Json& service);  // spec.clusterIP "None"
bool PublishNotReadyAddresses(const Json& service);

// Upstream ShouldPodBeInEndpoints: false for pods without an IP, in a terminal phase, or being
// deleted unless `include_terminating`.
bool ShouldPodBeInEndpoints(const Json& pod, bool include_terminating);
// The pod's IPv4 address (status.podIP, else the first IPv4 of status.podIPs); "" when none.
std::string PodIpv4(const Json& pod);
// The pod port a Service port targets: targetPort's number, or the containerPort named by it
// with the Service port's protocol; spec.port when targetPort is absent. nullopt when a named
// port is not declared by the pod.
std::optional<int64_t> ResolveTargetPort(const Json& service_port, const Json& pod);
// Upstream ShouldSetHostname: pod.spec.hostname set and pod.spec.subdomain the Service's name.
bool ShouldSetHostname(const Json& pod, const Json& service);
// {"kind": "Pod", "namespace", "name", "uid"}.
Json PodReference(const Json& pod);
// The pods of the Service's namespace its selector matches, from the host cache.
// RETRY_LATER when the cache is not available yet.
sdk::Status SelectedPods(const sdk::Host& host, const Json& service, const Selector& selector,
                         std::vector<Json>* pods);

// Maps pod events to the Services to reconcile: those whose selector matches the pod now, plus
// those it matched at its previous event (a relabelled or deleted pod must leave them).
// Thread-safe (one mutex).
class PodServiceMap {
 public:
  // A JSON array of "ns/name" Service keys for this event on `pod_json`.
  sdk::Status Map(const sdk::Host& host, sdk::EventType type, std::string_view pod_json,
                  std::string* keys_json);

 private:
  std::mutex mu_;
  std::map<std::string, std::set<std::string>> last_;  // pod key -> Service keys; guarded by mu_
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_KIT_SERVICE_PODS_H_
