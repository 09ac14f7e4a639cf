// Pod network attachment off the critical path (agent.h): CNI ADD runs on its own thread while
// the pod's first container is created, since a container joins the network namespace by its
// path, which exists from RunPodSandbox on. The ADD is joined before a container is reported
// created or started, before the env of a container that reads the pod IP is resolved, and by
// the end of every sync; a failed ADD tears the sandbox and the containers created in it down
// (event FailedCreatePodSandBox, retried with backoff) as a failure before creation did.
#include <exception>
#include <future>

#include "core/agent/agent.h"

namespace capstan::agent {
namespace {

using nlohmann::json;

}  // namespace

bool Agent::NeedsPodIp(const json& container) {
  for (const json& e : container.value("env", json::array())) {
    const json from = e.value("valueFrom", json::object());
    std::string path = from.value("fieldRef", json::object()).value("fieldPath", "");
    if (path == "status.podIP" || path == "status.podIPs") return true;
  }
  return false;
}

void Agent::BeginNetworkAttach(PodNetworkRequest request, PodRecord& record) {
  PodNetwork* network = options_.network;
  record.network_request = request;
  try {
    record.network_pending = std::async(
        std::launch::async, [network, req = std::move(request)] { return network->Add(req); });
  } catch (const std::exception&) {  // no thread to be had: attach here and now
    std::promise<Result<PodNetworkResult>> now;
    now.set_value(network->Add(record.network_request));
    record.network_pending = now.get_future();
  }
}

Status Agent::FinishNetworkAttach(const json& pod, PodRecord& record) {
  if (!record.network_pending.valid()) return Status::Ok();
  Result<PodNetworkResult> net = record.network_pending.get();
  record.timeline.Mark("network_wait");
  PodNetworkRequest req = std::move(record.network_request);
  if (net.ok() && !net->ips.empty()) {
    record.netns_path = req.netns_path;
    record.pod_ip = net->ips.front();
    return WritePodFiles(pod, record);  // /etc/hosts gains the pod's address
  }
  Status why = net.ok() ? InternalError("the network returned no IP") : net.status();
  events_.Record(pod, "", true, "FailedCreatePodSandBox",
                 "Failed to create pod sandbox: setting up the pod network: " + why.message());
  for (auto& [name, c] : record.containers) (void)RemoveContainer(c, 0);
  (void)options_.network->Del(req);
  (void)runtime_->Call("StopPodSandbox", {{"podSandboxId", record.sandbox_id}});
  (void)runtime_->Call("RemovePodSandbox", {{"podSandboxId", record.sandbox_id}});
  record.sandbox_id.clear();
  return why.WithContext("pod network");
}

}  // namespace capstan::agent
