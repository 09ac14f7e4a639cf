// `Agent`: the node agent (kubelet role). Registers its Node, renews its Lease in
// kube-node-lease, watches the pods bound to it and runs them through a runtime plugin,
// reporting status as the kubelet does. Partners: runtime_client.h (plugin calls),
// pod_status.h (status building), node_status.h (Node object); pod workers in pod_sync.cc.
// Tests: tests/core/agent/agent_test.cc (integration, real API server + the fake runtime .so).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/agent/node_status.h"
#include "core/agent/runtime_client.h"
#include "core/client/api_client.h"
#include "core/client/informer.h"
#include "core/client/work_queue.h"
#include "core/common/status.h"

namespace capstan::agent {

struct AgentOptions {
  client::ApiClient* client = nullptr;  // borrowed; must outlive the agent
  std::string node_name;
  std::shared_ptr<plugin::PluginInstance> runtime;  // a CAPSTAN_KIND_RUNTIME instance
  // Capacity and identity; DetectMachine() by default.
  std::optional<MachineInfo> machine;
  int64_t max_pods = 110;
  std::map<std::string, std::string> labels;
  int workers = 4;
  std::chrono::milliseconds lease_period{10'000};
  std::chrono::milliseconds node_status_period{60'000};
  int64_t lease_duration_seconds = 40;
  // How often a pod with running containers is re-read from the runtime (the plugin ABI has no
  // event stream yet; this is the kubelet's PLEG relist).
  std::chrono::milliseconds relist_period{1'000};
  // Restart backoff of exited containers (restartPolicy Always/OnFailure), doubling per restart.
  std::chrono::milliseconds backoff_initial{10'000};
  std::chrono::milliseconds backoff_max{300'000};
};

// Thread-safety: Start/Stop from one owning thread; everything else runs on the agent's own
// threads (informer, workers, heartbeat). Per-pod state is touched only by the worker that
// holds the pod's key (WorkQueue guarantees one at a time) under `pods_mu_` for the map itself.
class Agent {
 public:
  // Errors: kInvalid for a missing client, node name or non-runtime plugin.
  static Result<std::unique_ptr<Agent>> Create(AgentOptions options);
  ~Agent();  // Stop()
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Registers the Node (create, or update labels and status) and its Lease, then starts the
  // heartbeat, the pod informer (field selector spec.nodeName=<node>) and the workers.
  // Errors: the API error of the registration; nothing is left running then.
  Status Start();
  // Stops heartbeats, the informer and the workers; leaves containers as they are. Idempotent.
  void Stop();

  const std::string& node_name() const { return options_.node_name; }

 private:
  struct ContainerRecord {
    std::string id;  // current runtime container ID; empty when none
    int restart_count = 0;
    nlohmann::json last_state;  // {"terminated": {...}} of the previous run, or null
    std::chrono::steady_clock::time_point restart_at{};
    std::chrono::milliseconds backoff{0};
    bool waiting_restart = false;
  };
  struct PodRecord {
    std::string uid;
    std::string sandbox_id;
    std::string pod_ip;
    std::string start_time;
    std::map<std::string, ContainerRecord> containers;  // by "init/<name>" or "main/<name>"
    nlohmann::json last_status;                         // as last PATCHed
  };

  explicit Agent(AgentOptions options, std::unique_ptr<RuntimeClient> runtime);

  // node and lease (agent.cc)
  Status RegisterNode();
  Status RenewLease();
  Status PostNodeStatus();
  void HeartbeatLoop();
  void WorkerLoop();

  // pod workers (pod_sync.cc)
  Status SyncPod(const std::string& key);
  Status Teardown(PodRecord& record);
  // Runs the pod's containers one step; sets `requeue_after` (0: none).
  Status RunContainers(const nlohmann::json& pod, PodRecord& record,
                       std::chrono::milliseconds* requeue_after);
  // Builds the pod's status from the runtime and PATCHes it when it changed.
  Status ReportStatus(const nlohmann::json& pod, PodRecord& record);
  Status StartContainer(const nlohmann::json& pod, const nlohmann::json& container,
                        PodRecord& record, ContainerRecord& rec);

  AgentOptions options_;
  std::unique_ptr<RuntimeClient> runtime_;
  NodeReport report_;
  std::string node_uid_;
  std::string ready_since_;

  std::unique_ptr<client::Informer> informer_;
  std::unique_ptr<client::WorkQueue> queue_;
  std::vector<std::thread> workers_;

  std::mutex pods_mu_;  // guards the map `pods_` (each record belongs to its key's worker)
  std::map<std::string, std::shared_ptr<PodRecord>> pods_;

  std::mutex hb_mu_;
  std::condition_variable hb_cv_;
  bool stopping_ = false;  // guarded by hb_mu_
  std::thread heartbeat_;
  bool started_ = false;
};

// "2026-01-02T03:04:05Z" for `t`.
std::string Rfc3339(std::chrono::system_clock::time_point t);
// "2026-01-02T03:04:05.123456Z" (metav1.MicroTime) for `t`.
std::string Rfc3339Micro(std::chrono::system_clock::time_point t);

}  // namespace capstan::agent
