// `PodNetwork`: the hook the agent calls to wire a pod sandbox's network namespace (CNI ADD after
// RunPodSandbox, DEL before RemovePodSandbox). The agent only defines the interface; the binary
// adapts core/network's CNI chain runner to it (see core/cmd). Used by pod_sync.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/status.h"

namespace capstan::agent {

// What identifies one pod attachment: CNI_NETNS, CNI_IFNAME, CNI_CONTAINERID and CNI_ARGS
// (K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_INFRA_CONTAINER_ID, K8S_POD_UID) come from here.
struct PodNetworkRequest {
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_uid;
  std::string sandbox_id;
  std::string netns_path;  // absolute; the sandbox's network namespace file
  std::string ifname = "eth0";
  // The pod's hostPorts in CNI `runtimeConfig.portMappings` form:
  // [{"hostPort", "containerPort", "protocol" ("tcp"/"udp"/"sctp"), "hostIP"}]; empty array
  // when none.
  nlohmann::json port_mappings = nlohmann::json::array();
};

struct PodNetworkResult {
  std::vector<std::string> ips;  // pod IPs without prefix length, primary first
};

// Thread-safety: implementations must accept concurrent calls for different pods (the agent's
// workers run pods in parallel); calls for one pod are never concurrent.
class PodNetwork {
 public:
  virtual ~PodNetwork() = default;
  // Attaches the pod. An error leaves the sandbox without network; the agent reports it
  // (event FailedCreatePodSandBox), tears the sandbox down and retries with backoff.
  virtual Result<PodNetworkResult> Add(const PodNetworkRequest& request) = 0;
  // Detaches the pod; must succeed when nothing is attached (DEL is idempotent in CNI).
  virtual Status Del(const PodNetworkRequest& request) = 0;
};

}  // namespace capstan::agent
