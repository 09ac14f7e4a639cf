// CNI-backed pod network hook; see pod_network_cni.h.
#include "core/cmd/pod_network_cni.h"

namespace capstan::cmd {
namespace {

network::CniAttachment Attachment(const agent::PodNetworkRequest& r) {
  network::CniAttachment a;
  a.container_id = r.sandbox_id;
  a.netns_path = r.netns_path;
  a.ifname = r.ifname;
  a.args = network::K8sCniArgs(r.pod_namespace, r.pod_name, r.sandbox_id, r.pod_uid);
  // hostPorts reach plugins declaring the portMappings capability (e.g. portmap).
  if (r.port_mappings.is_array() && !r.port_mappings.empty()) {
    a.runtime_config = {{"portMappings", r.port_mappings}};
  }
  return a;
}

}  // namespace

Result<agent::PodNetworkResult> CniPodNetwork::Add(const agent::PodNetworkRequest& request) {
  Result<network::CniResult> added = chain_.Add(Attachment(request));
  if (!added.ok()) return added.status();
  agent::PodNetworkResult out;
  out.ips = added->PodIps();
  if (out.ips.empty()) {
    // A pod without an address is unusable: undo the attachment and report it.
    (void)chain_.Del(Attachment(request), added->raw_json);
    return InternalError("the CNI chain returned no IP address for sandbox " + request.sandbox_id);
  }
  std::lock_guard<std::mutex> lock(mu_);
  results_[request.sandbox_id] = added->raw_json;
  return out;
}

Status CniPodNetwork::Del(const agent::PodNetworkRequest& request) {
  std::string prev;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = results_.find(request.sandbox_id);
    if (it != results_.end()) prev = it->second;
  }
  Status s = chain_.Del(Attachment(request), prev);
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    results_.erase(request.sandbox_id);
  }
  return s;
}

}  // namespace capstan::cmd
