// Agent (agent.h): creation, Node registration, Lease and node-status heartbeats, the pod
// informer and the worker threads. The per-pod reconcile is in pod_sync.cc.
#include "core/agent/agent.h"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "core/common/log.h"

namespace capstan::agent {
namespace {

using nlohmann::json;
constexpr char kLog[] = "agent";
constexpr char kLeaseNamespace[] = "kube-node-lease";
constexpr char kAgentEndpointAnnotation[] = "node.capstan.io/agent-endpoint";

std::string LeasePath(const std::string& name) {
  return std::string("/apis/coordination.k8s.io/v1/namespaces/") + kLeaseNamespace + "/leases/" +
         name;
}

}  // namespace

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Rfc3339Micro(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()) %
                std::chrono::seconds(1);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%06dZ", static_cast<int>(micros.count()));
  return buf;
}

Result<std::unique_ptr<Agent>> Agent::Create(AgentOptions options) {
  if (options.client == nullptr) return InvalidError("agent: an API client is required");
  if (options.node_name.empty()) return InvalidError("agent: a node name is required");
  CAPSTAN_RETURN_IF_ERROR(ValidateImageGcOptions(options.image_gc));
  Result<std::unique_ptr<RuntimeClient>> runtime = RuntimeClient::Create(options.runtime);
  if (!runtime.ok()) return runtime.status();
  return std::unique_ptr<Agent>(new Agent(std::move(options), std::move(runtime).value()));
}

Agent::Agent(AgentOptions options, std::unique_ptr<RuntimeClient> runtime)
    : options_(std::move(options)),
      runtime_(std::move(runtime)),
      events_(options_.client, options_.node_name),
      node_events_(options_.client, options_.node_name) {
  if (options_.data_dir.empty()) {
    options_.data_dir =
        (std::filesystem::temp_directory_path() / ("capstan-agent-" + options_.node_name)).string();
  }
  if (options_.dns.node_resolv_conf.empty()) {
    std::ifstream in("/etc/resolv.conf");
    std::stringstream ss;
    ss << in.rdbuf();
    options_.dns.node_resolv_conf = ss.str();
  }
  report_.node_name = options_.node_name;
  report_.machine = options_.machine ? *options_.machine : DetectMachine();
  report_.max_pods = options_.max_pods;
  report_.runtime_version = runtime_->RuntimeVersion();
  report_.extra_labels = options_.labels;
  report_.daemon_port = options_.daemon_port;
}

client::ObjectPtr Agent::GetPod(const std::string& ns, const std::string& name) const {
  if (!informer_ready_.load(std::memory_order_acquire)) return nullptr;
  return informer_->Get(ns + "/" + name);
}

Agent::~Agent() { Stop(); }

Status Agent::RegisterNode() {
  ready_since_ = Rfc3339(std::chrono::system_clock::now());
  // A stale endpoint from an earlier run is removed (null in the merge patch below).
  json annotations = {{kAgentEndpointAnnotation, options_.agent_endpoint.empty()
                                                     ? json(nullptr)
                                                     : json(options_.agent_endpoint)}};
  json node = {{"apiVersion", "v1"},
               {"kind", "Node"},
               {"metadata", {{"name", options_.node_name}, {"labels", NodeLabels(report_)}}},
               {"spec", json::object()}};
  if (!options_.agent_endpoint.empty()) node["metadata"]["annotations"] = annotations;
  std::string path = "/api/v1/nodes/" + options_.node_name;
  Result<json> created = options_.client->Create("/api/v1/nodes", node);
  if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) {
    return created.status().WithContext("registering node " + options_.node_name);
  }
  if (!created.ok()) {
    created = options_.client->Patch(
        path, "application/merge-patch+json",
        {{"metadata", {{"labels", NodeLabels(report_)}, {"annotations", annotations}}}});
    if (!created.ok()) return created.status().WithContext("updating node labels");
  }
  node_uid_ = (*created)["metadata"].value("uid", "");
  CAPSTAN_RETURN_IF_ERROR(PostNodeStatus());
  // The lease namespace may not exist yet on a fresh cluster.
  json ns = {
      {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kLeaseNamespace}}}};
  Result<json> made = options_.client->Create("/api/v1/namespaces", ns);
  if (!made.ok() && made.status().code() != StatusCode::kAlreadyExists) {
    return made.status().WithContext("creating namespace kube-node-lease");
  }
  return RenewLease();
}

Status Agent::PostNodeStatus() {
  std::string now = Rfc3339(std::chrono::system_clock::now());
  Result<json> r = options_.client->Patch("/api/v1/nodes/" + options_.node_name + "/status",
                                          "application/merge-patch+json",
                                          {{"status", NodeStatus(report_, now, ready_since_)}});
  return r.ok() ? Status::Ok() : r.status().WithContext("posting node status");
}

Status Agent::RenewLease() {
  std::string now = Rfc3339Micro(std::chrono::system_clock::now());
  Result<json> r =
      options_.client->Patch(LeasePath(options_.node_name), "application/merge-patch+json",
                             {{"spec", {{"renewTime", now}}}});
  if (r.ok()) return Status::Ok();
  if (r.status().code() != StatusCode::kNotFound) return r.status().WithContext("renewing lease");
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata",
                 {{"name", options_.node_name},
                  {"namespace", kLeaseNamespace},
                  {"ownerReferences", json::array({{{"apiVersion", "v1"},
                                                    {"kind", "Node"},
                                                    {"name", options_.node_name},
                                                    {"uid", node_uid_}}})}}},
                {"spec",
                 {{"holderIdentity", options_.node_name},
                  {"leaseDurationSeconds", options_.lease_duration_seconds},
                  {"renewTime", now}}}};
  r = options_.client->Create(
      std::string("/apis/coordination.k8s.io/v1/namespaces/") + kLeaseNamespace + "/leases", lease);
  return r.ok() ? Status::Ok() : r.status().WithContext("creating lease");
}

Status Agent::Start() {
  if (started_) return InvalidError("agent already started");
  CAPSTAN_RETURN_IF_ERROR(RegisterNode());
  started_ = true;
  client::WorkQueueOptions qo;
  queue_ = std::make_unique<client::WorkQueue>(qo);
  client::InformerOptions io;
  io.path = "/api/v1/pods";
  io.field_selector = "spec.nodeName=" + options_.node_name;
  informer_ = std::make_unique<client::Informer>(options_.client, io);
  informer_ready_.store(true, std::memory_order_release);
  client::WorkQueue* q = queue_.get();
  client::EventHandler h;
  h.on_add = [q](const client::ObjectPtr& o) { q->Add(client::ObjectKey(*o)); };
  h.on_update = [q](const client::ObjectPtr&, const client::ObjectPtr& o) {
    q->Add(client::ObjectKey(*o));
  };
  h.on_delete = [q](const client::ObjectPtr& o) { q->Add(client::ObjectKey(*o)); };
  informer_->AddHandler(std::move(h));
  informer_->Start();
  StartImageGc();  // before the workers: they read `image_gc_` unlocked
  probe_queue_ = std::make_unique<client::WorkQueue>(qo);
  for (int i = 0; i < std::max(1, options_.probe_workers); ++i)
    probe_workers_.emplace_back([this] { ProbeLoop(); });
  for (int i = 0; i < std::max(1, options_.workers); ++i)
    workers_.emplace_back([this] { WorkerLoop(); });
  heartbeat_ = std::thread([this] { HeartbeatLoop(); });
  log::Info(kLog, "agent started", {{"node", options_.node_name}});
  return Status::Ok();
}

void Agent::Stop() {
  if (!started_) return;
  started_ = false;
  {
    std::lock_guard<std::mutex> lock(hb_mu_);
    stopping_ = true;
  }
  hb_cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  informer_->Stop();
  queue_->ShutDown();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  {
    std::lock_guard<std::mutex> lock(probes_mu_);
    probes_.clear();  // keys still queued are then dropped by the probe workers
  }
  probe_queue_->ShutDown();
  for (std::thread& t : probe_workers_) t.join();
  probe_workers_.clear();
}

void Agent::HeartbeatLoop() {
  auto last_status = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(hb_mu_);
  while (!hb_cv_.wait_for(lock, options_.lease_period, [this] { return stopping_; })) {
    lock.unlock();
    if (Status s = RenewLease(); !s.ok()) log::Warn(kLog, s.message());
    if (std::chrono::steady_clock::now() - last_status >= options_.node_status_period) {
      if (Status s = PostNodeStatus(); !s.ok()) log::Warn(kLog, s.message());
      last_status = std::chrono::steady_clock::now();
    }
    lock.lock();
  }
}

void Agent::WorkerLoop() {
  while (std::optional<std::string> key = queue_->Get()) {
    if (*key == kImageGcKey) {
      CollectImages();
      queue_->Done(*key);
      continue;
    }
    Status s = SyncPod(*key);
    RememberPodImages(*key);
    if (s.ok()) {
      queue_->Forget(*key);
    } else {
      log::Warn(kLog, s.message(), {{"pod", *key}});
      queue_->AddRateLimited(*key);
    }
    queue_->Done(*key);
  }
}

}  // namespace capstan::agent
