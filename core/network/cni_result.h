// The CNI result document (CNI spec 1.1.0 "Success" result; 0.3/0.4 results read the same):
// interfaces, IPs with gateway, routes and DNS, parsed from what the `cni` chain returns.
// Produced by cni_chain.h; tests in tests/core/network/cni_result_test.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace capstan::network {

struct CniInterface {
  std::string name;
  std::string mac;      // may be empty
  std::string sandbox;  // netns path for interfaces inside the pod; empty on the host side
};

struct CniIp {
  std::string address;  // CIDR, e.g. "10.99.1.5/24"
  std::string gateway;  // may be empty
  int interface = -1;   // index into `interfaces`; -1 when absent

  // `address` without the prefix length ("10.99.1.5").
  std::string Ip() const;
  bool IsV6() const { return address.find(':') != std::string::npos; }
};

struct CniRoute {
  std::string dst;  // CIDR
  std::string gw;   // may be empty
};

struct CniDns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
};

struct CniResult {
  std::string cni_version;
  std::vector<CniInterface> interfaces;
  std::vector<CniIp> ips;
  std::vector<CniRoute> routes;
  CniDns dns;
  // The document as the chain returned it: keep it (e.g. in the pod record) and pass it back as
  // `prev_result_json` to CniChain::Del and CniChain::Check.
  std::string raw_json;

  // Pod IPs (no prefix), IPv4 first then IPv6, each in result order: status.podIPs.
  std::vector<std::string> PodIps() const;
  // The first of PodIps(), or "" when the result has no IP: status.podIP.
  std::string PrimaryIp() const;
};

// Parses and checks a result document. Errors: kInternal (a plugin returned it) naming the bad
// field: not JSON, not an object, a CNI error document ("code"), `ips[i].address` not a CIDR,
// `ips[i].interface` out of range, wrong member types.
Result<CniResult> ParseCniResult(std::string_view json_text);

}  // namespace capstan::network
