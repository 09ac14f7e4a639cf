// The API server's Service networking at start-up: the cluster-IP and NodePort ranges as
// options (`capstan server --service-cluster-ip-range/--service-node-port-range`), allocators
// built from them and restored from the stored Services, and the `default/kubernetes` Service
// with its Endpoints and EndpointSlice pointing at the server itself (upstream's
// controlplane "kubernetes" reconciler). Allocation itself: core/registry/service_strategy.h.
#pragma once

#include <string>
#include <string_view>

#include "core/apiserver/api_server.h"
#include "core/common/status.h"
#include "core/registry/service_allocators.h"

namespace capstan::apiserver {

struct ServiceNetworkOptions {
  // IPv4 CIDR of cluster IPs; its first host address is the `kubernetes` Service's.
  std::string cluster_ip_range = "10.96.0.0/12";
  // Inclusive "first-last" range of node ports.
  std::string node_port_range = "30000-32767";
};

// Allocators for `options`' ranges. Errors: kInvalid naming the malformed option.
Result<registry::ServiceAllocators> MakeServiceAllocators(const ServiceNetworkOptions& options);

// The address reserved for `default/kubernetes`: the first host address of `cluster_ip_range`
// ("10.96.0.1"). Errors: kInvalid for a malformed range.
Result<std::string> KubernetesServiceIp(std::string_view cluster_ip_range);

// Marks the cluster IPs and node ports the stored Services hold, owned by their uids, so a
// restarted server never hands them out twice (no separate allocation state is stored).
// Call before serving writes. Values that cannot be marked (outside a changed range, held
// twice) are logged. Errors: services are not served; the cache does not catch up.
Status RestoreServiceAllocations(ApiServer& server, registry::ServiceAllocators& allocators);

// Creates `default/kubernetes` (ClusterIP `KubernetesServiceIp`, port 443/TCP "https" to
// `port`) or repairs its ports, and writes the Endpoints and EndpointSlice `kubernetes` with
// `address:port`. Call after the server knows its port and after RestoreServiceAllocations.
// Idempotent: unchanged objects are not rewritten. Errors: the first write error, with
// context (e.g. the reserved IP is held by another Service).
Status EnsureKubernetesService(ApiServer& server, const ServiceNetworkOptions& options,
                               const std::string& address, int port);

}  // namespace capstan::apiserver
