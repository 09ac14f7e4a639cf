// `Agent`: the node agent (kubelet role). Registers its Node, renews its Lease in
// kube-node-lease, watches the pods bound to it and runs them through a runtime plugin —
// images (core/image), env, volumes, pod network, init containers, probes — reporting status
// and events as the kubelet does. Partners: runtime_client.h, pod_status.h, node_status.h,
// env.h, volumes.h, pod_files.h, events.h, node_events.h, pod_network.h, image_gc_manager.h;
// pod workers in pod_sync.cc, container_start.cc, image_pull.cc, pod_report.cc, prober.cc.
// Tests: tests/core/agent/.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/agent/env.h"
#include "core/agent/events.h"
#include "core/agent/image_gc_manager.h"
#include "core/agent/node_events.h"
#include "core/agent/node_status.h"
#include "core/agent/pod_files.h"
#include "core/agent/pod_network.h"
#include "core/agent/runtime_client.h"
#include "core/agent/sync_timeline.h"
#include "core/agent/volumes.h"
#include "core/client/api_client.h"
#include "core/client/informer.h"
#include "core/client/work_queue.h"
#include "core/common/status.h"
#include "core/image/image_service.h"

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
  // Pod directories (<data_dir>/pods/<uid>: volumes, /etc/hosts, resolv.conf, termination
  // logs, container rootfs dirs, logs). Empty: <tmp>/capstan-agent-<node_name>.
  std::string data_dir;
  // Borrowed; must outlive the agent. Null: images are not pulled and the runtime gets only the
  // image name (the fake runtime needs nothing more).
  image::ImageService* images = nullptr;
  // Borrowed; must outlive the agent. Null: the pod IP is the sandbox's status.network.ip.
  PodNetwork* network = nullptr;
  // Cluster DNS for dnsPolicy ClusterFirst; `node_resolv_conf` empty reads /etc/resolv.conf.
  DnsSettings dns;
  // Image pull backoff (ErrImagePull -> ImagePullBackOff), doubling per failure.
  std::chrono::milliseconds image_backoff_initial{10'000};
  std::chrono::milliseconds image_backoff_max{300'000};
  // How often configMap/secret/downwardAPI/projected volumes of running pods are re-read and
  // rewritten when the objects changed (the kubelet's pod resync).
  std::chrono::milliseconds volume_resync_period{60'000};
  // Threads running probes (exec, httpGet, tcpSocket), fed by a delay queue.
  int probe_workers = 2;
  // The agent API's bound port, published as status.daemonEndpoints.kubeletEndpoint.Port, and,
  // when it listens on one specific address, "<ip>:<port>" for the Node annotation
  // `node.capstan.io/agent-endpoint` (empty: the annotation is removed). See
  // core/agent/server/agent_server.h.
  int daemon_port = 10250;
  std::string agent_endpoint;
  // The length of one probe "second" (initialDelaySeconds, periodSeconds, timeoutSeconds);
  // tests shorten it.
  std::chrono::milliseconds probe_second{1000};
  // Image garbage collection by disk usage (image_gc_manager.h), with `images` only;
  // `image_disk_usage` is the image store's filesystem usage, the source `images` was opened
  // with (null: statvfs of the store).
  ImageGcOptions image_gc;
  std::function<image::DiskUsage()> image_disk_usage;
};

// Thread-safety: Start/Stop from one owning thread; everything else runs on the agent's own
// threads (informer, workers, heartbeat). Per-pod state is touched only by the worker that
// holds the pod's key (WorkQueue guarantees one at a time) under `pods_mu_` for the map itself.
class Agent {
 public:
  // Errors: kInvalid for a missing client, node name, non-runtime plugin or bad image GC options.
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
  // The pod `ns/name` from the informer cache; null when unknown or before Start. Thread-safe.
  client::ObjectPtr GetPod(const std::string& ns, const std::string& name) const;
  // The runtime the pods run on (for exec). Thread-safe.
  const RuntimeClient& runtime() const { return *runtime_; }

 private:
  struct ContainerRecord {
    std::string id;  // current runtime container ID; empty when none
    int restart_count = 0;
    nlohmann::json last_state;  // {"terminated": {...}} of the previous run, or null
    std::chrono::steady_clock::time_point restart_at{};
    std::chrono::milliseconds backoff{0};
    bool waiting_restart = false;
    // Why the container is not created yet (ErrImagePull, ImagePullBackOff,
    // CreateContainerConfigError, ...) and the message; empty otherwise.
    std::string waiting_reason;
    std::string waiting_message;
    std::chrono::steady_clock::time_point pull_retry_at{};
    std::chrono::milliseconds pull_backoff{0};
    std::string image_id;     // the pulled image's ID (config digest), for imageID
    std::string rootfs_dir;   // container dir holding the overlay; released on remove
    std::string kill_reason;  // set when the agent stopped it (liveness/startup failure)
  };
  struct PodRecord {
    std::string uid;
    std::string key;
    std::string ns;
    std::string name;
    std::string pod_dir;
    std::string sandbox_id;
    std::string netns_path;  // non-empty when the pod network was attached through `network`
    std::string pod_ip;
    std::string start_time;
    std::map<std::string, ContainerRecord> containers;  // by "init/<name>" or "main/<name>"
    nlohmann::json last_status;                         // as last PATCHed
    PodVolumes volumes;
    bool volumes_ready = false;
    std::chrono::steady_clock::time_point volumes_synced{};
    SyncTimeline timeline;  // of the sync in progress (debug logging)
    // A CNI ADD in flight beside the first container's creation (pod_network_attach.cc); it
    // never outlives the sync that started it.
    std::future<Result<PodNetworkResult>> network_pending;
    PodNetworkRequest network_request;
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
  // Stops and removes containers (`grace_seconds` before SIGKILL), detaches the network,
  // removes the sandbox and the pod directory.
  Status Teardown(PodRecord& record, int64_t grace_seconds = 0);
  // Runs the pod's containers one step; sets `requeue_after` (0: none).
  Status RunContainers(const nlohmann::json& pod, PodRecord& record,
                       std::chrono::milliseconds* requeue_after);
  // Builds the pod's status from the runtime and PATCHes it when it changed.
  Status ReportStatus(const nlohmann::json& pod, PodRecord& record);
  // Pulls the image, resolves env and mounts, creates and starts the container. A container
  // that cannot be created yet (image pull failing or backing off, missing ConfigMap) leaves
  // `rec.id` empty with `waiting_reason` set and lowers `requeue_after`; only runtime errors
  // are returned.
  Status StartContainer(const nlohmann::json& pod, const nlohmann::json& container, bool init,
                        PodRecord& record, ContainerRecord& rec,
                        std::chrono::milliseconds* requeue_after);
  // Stops and removes the container, releasing its rootfs.
  Status RemoveContainer(ContainerRecord& rec, int64_t grace_seconds);
  // Pod-level setup before containers: volumes, sandbox, network, /etc/hosts, resolv.conf.
  Status EnsureSandbox(const nlohmann::json& pod, PodRecord& record);
  // Writes the pod's /etc/hosts (with its IP once known) and resolv.conf in place: containers
  // bind-mount the files, so a rewrite reaches those already created.
  Status WritePodFiles(const nlohmann::json& pod, const PodRecord& record);
  // pod_network_attach.cc: CNI ADD on its own thread; Finish joins it (OK when none is pending):
  // records the IP and rewrites /etc/hosts, or on failure reports FailedCreatePodSandBox and
  // removes the sandbox with every container created in it (`record.sandbox_id` empty after).
  void BeginNetworkAttach(PodNetworkRequest request, PodRecord& record);
  Status FinishNetworkAttach(const nlohmann::json& pod, PodRecord& record);
  // Whether the container's env reads status.podIP(s) (it is then created after the ADD).
  static bool NeedsPodIp(const nlohmann::json& container);
  Status SyncVolumes(const nlohmann::json& pod, PodRecord& record, bool force);
  // image_pull.cc: ensures the container's image per imagePullPolicy with the pod's pull
  // secrets; returns null (and sets the waiting reason) while it cannot.
  std::optional<image::ImageRecord> EnsureImage(const nlohmann::json& pod,
                                                const nlohmann::json& container,
                                                const std::string& field_path, ContainerRecord& rec,
                                                std::chrono::milliseconds* requeue_after);
  image::CredentialMap PullSecrets(const nlohmann::json& pod);
  // container_start.cc: the CreateContainer `config` (without image fields).
  Result<nlohmann::json> ContainerConfig(const nlohmann::json& pod, const nlohmann::json& container,
                                         PodRecord& record, const ContainerRecord& rec,
                                         const EnvList& env);
  Result<EnvList> ContainerEnv(const nlohmann::json& pod, const nlohmann::json& container,
                               const PodRecord& record);
  nlohmann::json SandboxConfig(const nlohmann::json& pod, const PodRecord& record) const;
  PodFacts Facts(const nlohmann::json& pod, const PodRecord& record) const;

  // prober.cc: probes run on `probe_workers_`, scheduled with `probe_queue_`'s AddAfter; a
  // result change enqueues the pod's key for its worker.
  struct ProbeView {
    std::optional<bool> ready;    // unset without a readiness probe
    std::optional<bool> started;  // unset without a startup probe
    std::string kill_message;     // non-empty when liveness or startup failed for good
  };
  struct ProbeState {
    std::string pod_key;
    nlohmann::json pod_ref;  // the pod's metadata only, for events
    nlohmann::json container;
    std::string container_id;
    std::string pod_ip;
    std::string kind;  // "liveness", "readiness", "startup"
    nlohmann::json probe;
    bool result = false;
    bool failed_out = false;
    int successes = 0;
    int failures = 0;
  };
  void StartProbes(const nlohmann::json& pod, const nlohmann::json& container,
                   const PodRecord& record, const ContainerRecord& rec);
  void CancelProbes(const std::string& container_id);
  ProbeView Probes(const std::string& container_id) const;
  void ProbeLoop();
  // image_gc_manager.cc: the periodic pass on the pod queue (key `kImageGcKey`), the images the
  // pods bound here use, and the image IDs a worker's pod record holds (after each sync, which
  // also queues a pass at once when the sync's pull failed with the disk over the high threshold).
  void StartImageGc();
  void CollectImages();
  std::set<std::string> ImagesInUse();
  void RememberPodImages(const std::string& key);

  // postStart: on failure records FailedPostStartHook and marks the container to be killed.
  void PostStartHook(const nlohmann::json& pod, const nlohmann::json& container,
                     const PodRecord& record, ContainerRecord& rec, const std::string& field);
  // preStop of every running container (deletion), within the grace period.
  void RunPreStopHooks(const nlohmann::json& pod, PodRecord& record);

  AgentOptions options_;
  std::unique_ptr<RuntimeClient> runtime_;
  EventRecorder events_;
  NodeEventRecorder node_events_;
  NodeReport report_;
  std::string node_uid_;
  std::string ready_since_;

  std::unique_ptr<client::Informer> informer_;
  std::atomic<bool> informer_ready_{false};  // informer_ is set (GetPod from other threads)
  std::unique_ptr<client::WorkQueue> queue_;
  std::vector<std::thread> workers_;

  mutable std::mutex probes_mu_;              // guards `probes_`
  std::map<std::string, ProbeState> probes_;  // by "<container id>/<kind>"
  std::unique_ptr<client::WorkQueue> probe_queue_;
  std::vector<std::thread> probe_workers_;

  std::mutex pods_mu_;  // guards the map `pods_` (each record belongs to its key's worker)
  std::map<std::string, std::shared_ptr<PodRecord>> pods_;
  std::map<std::string, std::set<std::string>> pod_images_;  // key -> image IDs; by pods_mu_
  std::unique_ptr<ImageGcManager> image_gc_;                 // set by Start when enabled

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
