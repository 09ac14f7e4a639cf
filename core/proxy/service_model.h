// The service proxy's typed model: a Service and its EndpointSlices parsed once per watch event
// into `ServiceInfo` / `SliceInfo`, then joined into one `ServicePortState` per service port — the
// input of rule generation (nft_rules.h). Partners: service_proxy.h (feeds it from informers).
// Pure functions over values; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

namespace capstan::proxy {

// One backend of one service port, after readiness filtering.
struct Endpoint {
  std::string ip;  // IPv4, dotted quad
  uint16_t port = 0;
  bool local = false;  // the endpoint's nodeName is this node
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  friend bool operator<(const Endpoint& a, const Endpoint& b) {
    return std::tie(a.ip, a.port, a.local) < std::tie(b.ip, b.port, b.local);
  }
};

// Everything the data plane needs for one port of one Service.
struct ServicePortState {
  // "<namespace>/<name>/<protocol>/<port>": stable, unique, and a valid nft identifier tail.
  std::string id;
  std::string protocol;  // "tcp", "udp" or "sctp"
  uint16_t port = 0;
  uint16_t node_port = 0;                // 0: none
  std::vector<std::string> cluster_ips;  // IPv4 only
  // IPv4 only: spec.externalIPs, then a LoadBalancer's status.loadBalancer.ingress[].ip.
  std::vector<std::string> external_ips;
  bool external_local = false;           // externalTrafficPolicy: Local
  int32_t affinity_timeout_seconds = 0;  // > 0: sessionAffinity ClientIP
  std::vector<Endpoint> endpoints;       // sorted, unique, ready (or the fallback, see below)
  // Index of this port's NodePort endpoints in the `nodeport-backends` map (nft_rules.h), unique
  // among the ports of a table and stable across updates; assigned by the caller
  // (service_proxy.h), < kMaxGroups.
  uint32_t group = 0;
  friend bool operator==(const ServicePortState&, const ServicePortState&) = default;
};

// One port of a Service as parsed from its spec.
struct ServicePortSpec {
  std::string name;
  std::string protocol;  // lower case
  uint16_t port = 0;
  uint16_t node_port = 0;
};

// The parts of a Service the proxy uses. `proxied` is false for headless (clusterIP None),
// ExternalName and IP-less services: they get no rules at all. `external_ips` holds
// spec.externalIPs and, for type LoadBalancer, the status' ingress IPs (served alike).
struct ServiceInfo {
  std::string ns, name;
  bool proxied = false;
  std::vector<std::string> cluster_ips, external_ips;
  bool external_local = false;
  int32_t affinity_timeout_seconds = 0;
  std::vector<ServicePortSpec> ports;
};

// One endpoint of a slice, with its conditions (nil `ready` counts as ready, as upstream).
struct SliceEndpoint {
  std::vector<std::string> addresses;
  std::string node_name;
  bool ready = true, serving = true, terminating = false;
};

struct SlicePort {
  std::string name, protocol;  // protocol lower case
  uint16_t port = 0;
};

// The parts of an EndpointSlice the proxy uses; `service` is the kubernetes.io/service-name label
// (empty: not a service's slice). Only addressType IPv4 slices carry endpoints.
struct SliceInfo {
  std::string ns, name, service;
  std::vector<SlicePort> ports;
  std::vector<SliceEndpoint> endpoints;
};

// Parse a v1 Service / discovery.k8s.io/v1 EndpointSlice. Never fails: malformed fields are
// skipped (the API server validated the objects; the proxy must not stop on one odd object).
ServiceInfo ParseService(const nlohmann::json& service);
SliceInfo ParseEndpointSlice(const nlohmann::json& slice);

// Joins a service with its slices into one state per (port, protocol) of the service; empty when
// the service is not proxied. Endpoints are the ready ones of the slices' port with the service
// port's name and protocol; when none is ready, the serving-and-terminating ones (upstream's
// terminating fallback). `node_name` marks local endpoints.
std::vector<ServicePortState> BuildPortStates(const ServiceInfo& service,
                                              const std::vector<const SliceInfo*>& slices,
                                              const std::string& node_name);

}  // namespace capstan::proxy
