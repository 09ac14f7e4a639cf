// nftables masquerade for the `bridge` plugin's `ipMasq`: traffic from the pod subnet to
// anywhere outside it leaves the node with the node's address. Runs the `nft` binary (nftables
// is a listed dependency) through cni-exec's child_process.h. Used by bridge_cni.cc.
#ifndef CAPSTAN_PLUGINS_CNI_BRIDGE_MASQUERADE_H_
#define CAPSTAN_PLUGINS_CNI_BRIDGE_MASQUERADE_H_

#include <cstdint>
#include <string>

#include "capstan/sdk/status.h"

namespace capstan::cni {

// Ensures table `ip <table>` with a srcnat postrouting chain holding
//   ip saddr <subnet> ip daddr != <subnet> masquerade comment "capstan-cni:<network>"
// exactly once; with a `cluster_cidr`, also `ip daddr != <cluster_cidr>` (pod-to-pod traffic
// across nodes keeps its source address) and the comment "capstan-cni:<network>:<cluster_cidr>".
// A rule of the same network with another comment (an earlier configuration) is replaced.
// Idempotent and serialized within the process; a rule this process ensured is trusted for 60 s
// without running nft again (it runs on every pod's ADD). Errors: ERROR with nft's output (nft
// missing, no permission), DEADLINE_EXCEEDED.
sdk::Status EnsureMasquerade(const std::string& table, const std::string& subnet,
                             const std::string& cluster_cidr, const std::string& network,
                             int64_t deadline_mono_ns);

}  // namespace capstan::cni

#endif  // CAPSTAN_PLUGINS_CNI_BRIDGE_MASQUERADE_H_
