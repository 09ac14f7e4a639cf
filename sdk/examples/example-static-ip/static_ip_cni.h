// Example CNI plugin `example-static-ip`: hands the one address from its config to one container
// at a time and returns a CNI 1.1.0 result; it computes the result only and does not touch the
// network namespace. Exported by plugin.cc; tested in
// tests/sdk/examples/example_static_ip_test.cc.
#ifndef CAPSTAN_EXAMPLES_STATIC_IP_CNI_H_
#define CAPSTAN_EXAMPLES_STATIC_IP_CNI_H_

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "capstan/sdk/cni.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::examples {

inline constexpr char kStaticIpCniName[] = "example-static-ip";
inline constexpr char kStaticIpCniVersion[] = "0.1.0";
inline constexpr char kStaticIpCniDescription[] =
    "Assigns one static address from the config (result only)";
inline constexpr char kStaticIpCniSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "required": ["address"],
  "properties": {
    "address": {"type": "string", "description": "CIDR, e.g. 10.22.0.5/24"},
    "gateway": {"type": "string"},
    "routes": {
      "type": "array",
      "items": {
        "type": "object",
        "required": ["dst"],
        "properties": {"dst": {"type": "string"}, "gw": {"type": "string"}}
      }
    },
    "dns": {"type": "object"}
  }
})";

// Thread-safe: the attachment table is guarded by `mu_` (the host may call for different
// containers concurrently).
class StaticIpCni final : public sdk::CniPlugin {
 public:
  // INVALID when `address` is not an IPv4/IPv6 CIDR or `gateway` not an address.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // OK with the result; idempotent for the container holding the address; ERROR when another
  // container holds it; INVALID for an unsupported cniVersion.
  sdk::Status CniAdd(sdk::Call& call, const sdk::CniRequest& request,
                     std::string* result_json) override;
  // OK, also when the container was not attached.
  sdk::Status CniDel(sdk::Call& call, const sdk::CniRequest& request) override;
  // OK when the container holds the address on the same interface, else ERROR.
  sdk::Status CniCheck(sdk::Call& call, const sdk::CniRequest& request) override;
  // Always ready.
  sdk::Status CniStatus(sdk::Call& call, const sdk::CniRequest& request) override;
  // Releases the address unless its attachment is in "cni.dev/valid-attachments".
  sdk::Status CniGc(sdk::Call& call, const sdk::CniRequest& request) override;

 private:
  struct Attachment {
    std::string ifname;
    std::string netns;
  };

  std::string address_;
  std::string gateway_;
  std::string routes_json_ = "[]";
  std::string dns_json_ = "{}";

  std::mutex mu_;
  std::map<std::string, Attachment> attached_;  // by container ID; at most one entry
};

}  // namespace capstan::examples

#endif  // CAPSTAN_EXAMPLES_STATIC_IP_CNI_H_
