// CNI plugin `bridge`: the native default pod network. A Linux bridge on the node with the
// gateway address, one veth pair per pod (the peer created directly inside the pod's network
// namespace as CNI_IFNAME), an IPv4 address from the node's podCIDR (ipam.h) and a default route
// via the bridge, all over raw rtnetlink (netlink.h). Exported by plugin.cc; tests in
// bridge_test.cc (root).
#ifndef CAPSTAN_PLUGINS_CNI_BRIDGE_BRIDGE_CNI_H_
#define CAPSTAN_PLUGINS_CNI_BRIDGE_BRIDGE_CNI_H_

#include <memory>
#include <string>
#include <string_view>

#include "capstan/sdk/cni.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "ipam.h"

namespace capstan::cni {

inline constexpr char kBridgeName[] = "bridge";
inline constexpr char kBridgeVersion[] = "0.1.0";
inline constexpr char kBridgeDescription[] =
    "Linux bridge + veth pod network with host-local IPv4 addresses (rtnetlink)";
inline constexpr char kBridgeSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "required": ["subnet"],
  "properties": {
    "subnet": {"type": "string", "description": "the node's podCIDR, e.g. 10.244.1.0/24"},
    "gateway": {"type": "string", "description": "default: the subnet's first address"},
    "bridge": {"type": "string", "maxLength": 15, "description": "default capstan0"},
    "stateDir": {"type": "string", "description": "default /var/lib/capstan/cni"},
    "network": {"type": "string", "description": "lease folder name; default: bridge name"},
    "isDefaultGateway": {"type": "boolean", "description": "default route via the bridge"},
    "ipMasq": {"type": "boolean", "description": "nftables masquerade of off-subnet traffic"},
    "ipMasqTable": {"type": "string", "description": "nftables table; default capstan_cni"},
    "clusterCIDR": {"type": "string", "description": "all nodes' pod addresses: not masqueraded"}
  }
})";

// Thread-safe: kernel objects are per pod, leases are under a file lock.
class BridgeCni final : public sdk::CniPlugin {
 public:
  // INVALID for a bad subnet, gateway or bridge name.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // Leases an address, ensures the bridge (up, with the gateway) and with `ipMasq` the nftables
  // masquerade rule, creates the veth pair and configures the pod side (address, up, default
  // route, lo up). Idempotent per (container, ifname). On failure releases what it made.
  sdk::Status CniAdd(sdk::Call& call, const sdk::CniRequest& request,
                     std::string* result_json) override;
  // Deletes the host veth (and with it the pod side) and releases the lease; OK when absent.
  sdk::Status CniDel(sdk::Call& call, const sdk::CniRequest& request) override;
  // ERROR unless the lease exists and the pod interface is present.
  sdk::Status CniCheck(sdk::Call& call, const sdk::CniRequest& request) override;
  sdk::Status CniStatus(sdk::Call& call, const sdk::CniRequest& request) override;
  // Releases leases (and deletes host veths) of attachments not in the valid list.
  sdk::Status CniGc(sdk::Call& call, const sdk::CniRequest& request) override;

  // The host-side veth name for an attachment: "cap" + 8 hex digits of a hash.
  static std::string HostVethName(std::string_view container_id, std::string_view ifname);

 private:
  std::string bridge_ = "capstan0";
  bool default_gateway_ = true;
  bool ip_masq_ = false;
  std::string masq_table_ = "capstan_cni";
  std::string subnet_cidr_;
  std::string cluster_cidr_;  // traffic to it keeps the pod source address
  std::string network_;
  Subnet subnet_;
  std::unique_ptr<Ipam> ipam_;
};

}  // namespace capstan::cni

#endif  // CAPSTAN_PLUGINS_CNI_BRIDGE_BRIDGE_CNI_H_
