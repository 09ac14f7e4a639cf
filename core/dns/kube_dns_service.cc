// The kube-dns Service, Endpoints and EndpointSlice (kube_dns_service.h).
#include "core/dns/kube_dns_service.h"

#include <arpa/inet.h>

#include <charconv>
#include <functional>

namespace capstan::dns {
namespace {

using nlohmann::json;

constexpr const char* kNamespace = "kube-system";
constexpr const char* kName = "kube-dns";
constexpr uint32_t kDnsOffset = 10;

// GET, then create what is missing or PUT what `repair` changed (retrying write races).
Status Converge(client::ApiClient& client, const std::string& collection, const json& want,
                const std::function<json(json)>& repair) {
  const std::string path = collection + "/" + kName;
  Status last = Status::Ok();
  for (int attempt = 0; attempt < 5; ++attempt) {
    Result<json> current = client.Get(path);
    if (!current.ok() && current.status().code() == StatusCode::kNotFound) {
      Result<json> created = client.Create(collection, want);
      if (created.ok()) return Status::Ok();
      last = created.status();
      if (last.code() != StatusCode::kAlreadyExists) break;
      continue;
    }
    if (!current.ok()) return current.status().WithContext("GET " + path);
    json updated = repair(*current);
    if (updated == *current) return Status::Ok();
    Result<json> put = client.Update(path, updated);
    if (put.ok()) return Status::Ok();
    last = put.status();
    if (last.code() != StatusCode::kConflict) break;
  }
  return last.WithContext(path);
}

json Metadata(json labels) {
  return {{"name", kName}, {"namespace", kNamespace}, {"labels", std::move(labels)}};
}

}  // namespace

Result<std::string> NthAddress(std::string_view cidr, uint32_t n) {
  size_t slash = cidr.find('/');
  std::string base(cidr.substr(0, slash));
  int prefix = -1;
  if (slash != std::string_view::npos) {
    std::string_view p = cidr.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || end != p.data() + p.size()) prefix = -1;
  }
  in_addr addr{};
  if (prefix < 0 || prefix > 32 || inet_pton(AF_INET, base.c_str(), &addr) != 1 ||
      (prefix < 32 && uint64_t{n} + 1 >= (uint64_t{1} << (32 - prefix))) ||
      (prefix == 32 && n != 0)) {
    return InvalidError("\"" + std::string(cidr) + "\" is not an IPv4 CIDR with an address #" +
                        std::to_string(n));
  }
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  addr.s_addr = htonl((ntohl(addr.s_addr) & mask) + n);
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr, text, sizeof(text));
  return std::string(text);
}

Result<std::string> KubeDnsServiceIp(std::string_view service_cidr) {
  return NthAddress(service_cidr, kDnsOffset);
}

Status EnsureKubeDnsService(client::ApiClient& client, const KubeDnsServiceOptions& o) {
  const std::string ns_path = std::string("/api/v1/namespaces/") + kNamespace;
  json service_ports = json::array(
      {{{"name", "dns"}, {"port", 53}, {"protocol", "UDP"}, {"targetPort", o.port}},
       {{"name", "dns-tcp"}, {"port", 53}, {"protocol", "TCP"}, {"targetPort", o.port}}});
  json service = {{"apiVersion", "v1"},
                  {"kind", "Service"},
                  {"metadata", Metadata({{"k8s-app", "kube-dns"},
                                         {"kubernetes.io/cluster-service", "true"},
                                         {"kubernetes.io/name", "CapstanDNS"}})},
                  {"spec",
                   {{"type", "ClusterIP"},
                    {"clusterIP", o.cluster_ip},
                    {"clusterIPs", json::array({o.cluster_ip})},
                    {"ports", service_ports}}}};
  CAPSTAN_RETURN_IF_ERROR(Converge(client, ns_path + "/services", service, [&](json current) {
    // Only the ports are repaired: the cluster IP is immutable, and a selector an operator
    // added would hand the endpoints to the endpoints controllers.
    if (current["spec"].value("ports", json()) != service_ports) {
      current["spec"]["ports"] = service_ports;
    }
    return current;
  }));

  json subsets = json::array(
      {{{"addresses", json::array({{{"ip", o.address}}})},
        {"ports", json::array({{{"name", "dns"}, {"port", o.port}, {"protocol", "UDP"}},
                               {{"name", "dns-tcp"}, {"port", o.port}, {"protocol", "TCP"}}})}}});
  json endpoints = {{"apiVersion", "v1"},
                    {"kind", "Endpoints"},
                    // Its slice is written below: no mirroring controller should copy it.
                    {"metadata", Metadata({{"k8s-app", "kube-dns"},
                                           {"endpointslice.kubernetes.io/skip-mirror", "true"}})},
                    {"subsets", subsets}};
  CAPSTAN_RETURN_IF_ERROR(Converge(client, ns_path + "/endpoints", endpoints, [&](json current) {
    current["metadata"]["labels"]["endpointslice.kubernetes.io/skip-mirror"] = "true";
    current["subsets"] = subsets;
    return current;
  }));

  json slice_labels = {{"kubernetes.io/service-name", kName},
                       {"endpointslice.kubernetes.io/managed-by", "capstan-server"}};
  json slice_endpoints =
      json::array({{{"addresses", json::array({o.address})}, {"conditions", {{"ready", true}}}}});
  json slice_ports = json::array({{{"name", "dns"}, {"port", o.port}, {"protocol", "UDP"}},
                                  {{"name", "dns-tcp"}, {"port", o.port}, {"protocol", "TCP"}}});
  json slice = {{"apiVersion", "discovery.k8s.io/v1"}, {"kind", "EndpointSlice"},
                {"metadata", Metadata(slice_labels)},  {"addressType", "IPv4"},
                {"endpoints", slice_endpoints},        {"ports", slice_ports}};
  return Converge(client, "/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices", slice,
                  [&](json current) {
                    for (const auto& [k, v] : slice_labels.items()) {
                      current["metadata"]["labels"][k] = v;
                    }
                    current["addressType"] = "IPv4";
                    current["endpoints"] = slice_endpoints;
                    current["ports"] = slice_ports;
                    return current;
                  });
}

}  // namespace capstan::dns
