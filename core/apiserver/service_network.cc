// Service ranges, allocation restore and the `kubernetes` Service (service_network.h).
#include "core/apiserver/service_network.h"

#include <random>
#include <vector>

#include "core/common/log.h"
#include "core/registry/field_validation.h"

namespace capstan::apiserver {
namespace {

using nlohmann::json;

constexpr char kNamespace[] = "default";
constexpr char kName[] = "kubernetes";

Status ErrorOf(const ApiResult<WriteResult>& r, const std::string& what) {
  if (const auto* e = std::get_if<ApiError>(&r)) return e->status.WithContext(what);
  return Status::Ok();
}

json HttpsPort(int port) { return {{"name", "https"}, {"port", port}, {"protocol", "TCP"}}; }

// Writes `desired` as `storage`'s default/kubernetes unless an equal one is stored: `merge`
// turns the stored object into the desired one (returning it unchanged when nothing differs).
Status Converge(RestStorage* storage, const json& desired,
                const std::function<json(const json& current)>& merge, const std::string& what) {
  if (storage == nullptr) return InternalError(what + ": resource is not served");
  ApiResult<WriteResult> r = storage->Modify(
      {}, kNamespace, kName, "",
      [&](const json* current) -> ApiResult<json> {
        return current == nullptr ? desired : merge(*current);
      },
      /*create_if_missing=*/true);
  return ErrorOf(r, what);
}

}  // namespace

Result<registry::ServiceAllocators> MakeServiceAllocators(const ServiceNetworkOptions& options) {
  registry::ServiceAllocators out;
  // Random orders, as upstream: servers started alike (several clusters on one host, or a
  // rebuilt one) must not hand out the same cluster IPs and NodePorts in the same order.
  std::random_device entropy;
  Result<std::unique_ptr<registry::ServiceIpAllocator>> ips = registry::ServiceIpAllocator::Create(
      options.cluster_ip_range, registry::SteadyClockMs(), entropy());
  if (!ips.ok()) return ips.status().WithContext("--service-cluster-ip-range");
  Result<std::unique_ptr<registry::NodePortAllocator>> ports = registry::NodePortAllocator::Parse(
      options.node_port_range, registry::SteadyClockMs(), entropy());
  if (!ports.ok()) return ports.status().WithContext("--service-node-port-range");
  out.ips = std::shared_ptr<registry::ServiceIpAllocator>(std::move(*ips));
  out.ports = std::shared_ptr<registry::NodePortAllocator>(std::move(*ports));
  return out;
}

Result<std::string> KubernetesServiceIp(std::string_view cluster_ip_range) {
  Result<std::unique_ptr<registry::ServiceIpAllocator>> ips =
      registry::ServiceIpAllocator::Create(cluster_ip_range, [] { return int64_t{0}; });
  if (!ips.ok()) return ips.status();
  return (*ips)->AddressAt(0);
}

Status RestoreServiceAllocations(ApiServer& server, registry::ServiceAllocators& allocators) {
  RestStorage* services = server.StorageFor("", "services");
  if (services == nullptr) return InternalError("services are not served");
  CAPSTAN_RETURN_IF_ERROR(services->WaitForConsistentRead());
  std::vector<json> existing;
  for (const CachedObjectPtr& o :
       services->cache()->List(services->CollectionPrefix(""), "", 0, nullptr).items) {
    json parsed = json::parse(o->json, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) existing.push_back(std::move(parsed));
  }
  for (const std::string& problem : allocators.Rebuild(existing)) {
    log::Warn("apiserver", "service allocation not restored", {{"problem", problem}});
  }
  return Status::Ok();
}

Status EnsureKubernetesService(ApiServer& server, const ServiceNetworkOptions& options,
                               const std::string& address, int port) {
  Result<std::string> ip = KubernetesServiceIp(options.cluster_ip_range);
  if (!ip.ok()) return ip.status().WithContext("--service-cluster-ip-range");
  json service_ports =
      json::array({{{"name", "https"}, {"port", 443}, {"protocol", "TCP"}, {"targetPort", port}}});
  json service = {{"apiVersion", "v1"},
                  {"kind", "Service"},
                  {"metadata",
                   {{"name", kName},
                    {"namespace", kNamespace},
                    {"labels", {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
                  {"spec",
                   {{"type", "ClusterIP"},
                    {"clusterIP", *ip},
                    {"clusterIPs", json::array({*ip})},
                    {"sessionAffinity", "None"},
                    {"ports", service_ports}}}};
  CAPSTAN_RETURN_IF_ERROR(Converge(
      server.StorageFor("", "services"), service,
      [&](json current) {
        // Upstream repairs the ports only; the cluster IP is immutable.
        if (current["spec"].value("ports", json()) != service_ports) {
          current["spec"]["ports"] = service_ports;
        }
        return current;
      },
      "creating service default/kubernetes"));

  json subsets = json::array({{{"addresses", json::array({{{"ip", address}}})},
                               {"ports", json::array({HttpsPort(port)})}}});
  json endpoints = {{"apiVersion", "v1"},
                    {"kind", "Endpoints"},
                    {"metadata",
                     {{"name", kName},
                      {"namespace", kNamespace},
                      {"labels", {{"endpointslice.kubernetes.io/skip-mirror", "true"}}}}},
                    {"subsets", subsets}};
  CAPSTAN_RETURN_IF_ERROR(Converge(
      server.StorageFor("", "endpoints"), endpoints,
      [&](json current) {
        current["subsets"] = subsets;
        return current;
      },
      "writing endpoints default/kubernetes"));

  json slice_endpoints =
      json::array({{{"addresses", json::array({address})}, {"conditions", {{"ready", true}}}}});
  json slice_ports = json::array({HttpsPort(port)});
  json slice = {{"apiVersion", "discovery.k8s.io/v1"},
                {"kind", "EndpointSlice"},
                {"metadata",
                 {{"name", kName},
                  {"namespace", kNamespace},
                  {"labels", {{"kubernetes.io/service-name", kName}}}}},
                {"addressType", "IPv4"},
                {"endpoints", slice_endpoints},
                {"ports", slice_ports}};
  return Converge(
      server.StorageFor("discovery.k8s.io", "endpointslices"), slice,
      [&](json current) {
        current["addressType"] = "IPv4";
        current["endpoints"] = slice_endpoints;
        current["ports"] = slice_ports;
        return current;
      },
      "writing endpointslice default/kubernetes");
}

}  // namespace capstan::apiserver
