// The `kube-system/kube-dns` Service that fronts the cluster DNS for pods, as kubeadm and k3s
// install it: a selector-less ClusterIP Service (ports dns 53/UDP and dns-tcp 53/TCP) whose
// Endpoints and EndpointSlice `capstan server` writes itself (no controller manages them), pointing
// at an address and port its DNS server (dns_server.h) listens on. Wired in core/cmd/server_cmd.cc.
// Tests: tests/core/dns/kube_dns_service_test.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/client/api_client.h"
#include "core/common/status.h"

namespace capstan::dns {

// Address number `n` of an IPv4 CIDR ("10.244.0.0/24", 1 -> "10.244.0.1", the bridge CNI's
// gateway). Errors: kInvalid for a malformed IPv4 CIDR or one too small to hold `n` and a
// broadcast address.
Result<std::string> NthAddress(std::string_view cidr, uint32_t n);

// The conventional cluster DNS address: the tenth address of the service range
// ("10.96.0.0/12" -> "10.96.0.10"). Errors: as NthAddress.
Result<std::string> KubeDnsServiceIp(std::string_view service_cidr);

struct KubeDnsServiceOptions {
  std::string cluster_ip;  // e.g. KubeDnsServiceIp(...)
  std::string address;     // where pods' packets reach the DNS server after the proxy's DNAT
  uint16_t port = 53;      // the DNS server's port (UDP and TCP) at `address`
};

// Creates the Service (or repairs its ports; the cluster IP is immutable, a different one is
// kept) and writes the Endpoints and EndpointSlice `kube-dns` with `address:port`. Idempotent:
// unchanged objects are not rewritten. Blocking; `client` is borrowed. Errors: the first API
// error with context (e.g. kAlreadyExists/kInvalid when the cluster IP is held by another
// Service).
Status EnsureKubeDnsService(client::ApiClient& client, const KubeDnsServiceOptions& options);

}  // namespace capstan::dns
