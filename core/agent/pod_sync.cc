// Agent pod workers (agent.h): one reconcile step per pod key — volumes, the sandbox and its
// network, the init containers to completion, then the containers; restart exited ones with
// backoff; report status; tear down and finish deletion. Container creation:
// container_start.cc; status: pod_report.cc.
#include <cctype>
#include <filesystem>

#include "core/agent/agent.h"
#include "core/agent/pod_status.h"
#include "core/agent/sync_util.h"
#include "core/common/log.h"

namespace capstan::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

}  // namespace

Status Agent::RemoveContainer(ContainerRecord& rec, int64_t grace_seconds) {
  if (!rec.id.empty()) {
    Result<json> r =
        runtime_->Call("StopContainer", {{"containerId", rec.id}, {"timeout", grace_seconds}});
    if (!r.ok()) return r.status();
    r = runtime_->Call("RemoveContainer", {{"containerId", rec.id}});
    if (!r.ok()) return r.status();
    CancelProbes(rec.id);
    rec.id.clear();
  }
  if (!rec.rootfs_dir.empty() && options_.images != nullptr) {
    CAPSTAN_RETURN_IF_ERROR(options_.images->ReleaseRootfs(rec.rootfs_dir));
  }
  rec.rootfs_dir.clear();
  return Status::Ok();
}

Status Agent::Teardown(PodRecord& record, int64_t grace_seconds) {
  if (record.network_pending.valid()) {  // not expected: every sync joins its ADD
    (void)record.network_pending.get();
    record.netns_path = record.network_request.netns_path;
  }
  for (auto& [name, c] : record.containers) {
    CAPSTAN_RETURN_IF_ERROR(RemoveContainer(c, grace_seconds));
  }
  if (!record.sandbox_id.empty()) {
    if (!record.netns_path.empty() && options_.network != nullptr) {
      PodNetworkRequest req{record.ns,         record.name,       record.uid,
                            record.sandbox_id, record.netns_path, "eth0"};
      CAPSTAN_RETURN_IF_ERROR(options_.network->Del(req));
      record.netns_path.clear();
    }
    Result<json> r = runtime_->Call("StopPodSandbox", {{"podSandboxId", record.sandbox_id}});
    if (!r.ok()) return r.status();
    r = runtime_->Call("RemovePodSandbox", {{"podSandboxId", record.sandbox_id}});
    if (!r.ok()) return r.status();
    record.sandbox_id.clear();
  }
  if (!record.pod_dir.empty()) CAPSTAN_RETURN_IF_ERROR(TearDownVolumes(record.pod_dir));
  events_.Forget(record.uid);
  return Status::Ok();
}

Status Agent::SyncVolumes(const json& pod, PodRecord& record, bool force) {
  if (!force && record.volumes_ready &&
      Clock::now() - record.volumes_synced < options_.volume_resync_period) {
    return Status::Ok();
  }
  VolumeContext ctx{
      record.pod_dir, Facts(pod, record),
      [this](const std::string& resource, const std::string& ns, const std::string& name) {
        return options_.client->Get("/api/v1/namespaces/" + ns + "/" + resource + "/" + name);
      }};
  Result<PodVolumes> v = SetUpVolumes(ctx);
  if (!v.ok()) {
    events_.Record(pod, "", true, "FailedMount", v.status().message());
    return v.status();
  }
  record.volumes = std::move(*v);
  record.volumes_ready = true;
  record.volumes_synced = Clock::now();
  return Status::Ok();
}

Status Agent::EnsureSandbox(const json& pod, PodRecord& record) {
  const json spec = pod.value("spec", json::object());
  bool host_network = spec.value("hostNetwork", false);
  SyncTimeline& timeline = record.timeline;
  Result<json> run = runtime_->Call("RunPodSandbox", {{"config", SandboxConfig(pod, record)}});
  timeline.Mark("run_sandbox");
  if (!run.ok()) {
    events_.Record(pod, "", true, "FailedCreatePodSandBox",
                   "Failed to create pod sandbox: " + run.status().message());
    return run.status().WithContext("running sandbox");
  }
  record.sandbox_id = run->value("podSandboxId", "");
  Result<json> sb = runtime_->Call("PodSandboxStatus", {{"podSandboxId", record.sandbox_id}});
  if (!sb.ok()) return sb.status();
  std::string netns = sb->value("info", json::object()).value("netnsPath", "");
  timeline.Mark("sandbox_status");
  if (host_network) {
    record.pod_ip = report_.machine.internal_ip;
  } else if (!netns.empty() && options_.network != nullptr) {
    PodNetworkRequest req{record.ns, record.name, record.uid, record.sandbox_id, netns, "eth0"};
    for (const json& pm : SandboxConfig(pod, record)["portMappings"]) {
      std::string proto = pm.value("protocol", "TCP");
      for (char& ch : proto) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      req.port_mappings.push_back({{"hostPort", pm["hostPort"]},
                                   {"containerPort", pm["containerPort"]},
                                   {"protocol", proto},
                                   {"hostIP", pm["hostIp"]}});
    }
    // Joined once the first container is created (pod_network_attach.cc).
    BeginNetworkAttach(std::move(req), record);
    timeline.Mark("network");
  } else {
    record.pod_ip = (*sb)["status"].value("network", json::object()).value("ip", "");
  }
  CAPSTAN_RETURN_IF_ERROR(WritePodFiles(pod, record));
  timeline.Mark("pod_files");
  return Status::Ok();
}

Status Agent::WritePodFiles(const json& pod, const PodRecord& record) {
  // Files every container mounts; /etc/hosts is written again once the pod IP is known.
  bool host_network = pod.value("spec", json::object()).value("hostNetwork", false);
  std::string node_hosts;
  if (host_network) {
    if (std::FILE* f = std::fopen("/etc/hosts", "r")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) node_hosts.append(buf, n);
      std::fclose(f);
    }
  }
  std::vector<ProjectedFile> files = {
      {"hosts", HostsFileText(pod, record.pod_ip, options_.dns.cluster_domain, node_hosts), 0644},
      {"resolv.conf", ResolvConfText(PodDnsConfig(pod, options_.dns)), 0644}};
  for (const ProjectedFile& f : files) {
    std::string path = record.pod_dir + "/etc-" + f.path;
    std::FILE* out = std::fopen(path.c_str(), "w");
    if (out == nullptr) return InternalError("writing " + path);
    std::fwrite(f.data.data(), 1, f.data.size(), out);
    std::fclose(out);
  }
  return Status::Ok();
}

Status Agent::RunContainers(const json& pod, PodRecord& record, milliseconds* requeue_after) {
  const json spec = pod.value("spec", json::object());
  std::string policy = spec.value("restartPolicy", "Always");
  int64_t grace = spec.value("terminationGracePeriodSeconds", int64_t{30});
  for (const char* group : {"initContainers", "containers"}) {
    bool init = std::string(group) == "initContainers";
    bool all_done = true;
    for (const json& c : spec.value(group, json::array())) {
      ContainerRecord& rec =
          record.containers[std::string(init ? "init/" : "main/") + c.value("name", "")];
      if (rec.waiting_restart) {
        if (Clock::now() < rec.restart_at) {
          LowerRequeue(requeue_after,
                       std::chrono::duration_cast<milliseconds>(rec.restart_at - Clock::now()));
          all_done = false;
          if (init) return Status::Ok();
          continue;
        }
        rec.waiting_restart = false;
        ++rec.restart_count;
      }
      if (rec.id.empty()) {
        CAPSTAN_RETURN_IF_ERROR(StartContainer(pod, c, init, record, rec, requeue_after));
        if (rec.id.empty()) {  // waiting for its image or config
          all_done = false;
          if (init) return Status::Ok();
          continue;
        }
      }
      Result<json> st = runtime_->Call("ContainerStatus", {{"containerId", rec.id}});
      if (!st.ok()) return st.status();
      record.timeline.Mark("container_status");
      const json& s = (*st)["status"];
      if (s.value("state", "") != "CONTAINER_EXITED") {
        if (!init && rec.kill_reason.empty()) {
          // A failed liveness/startup probe: stop it; its exit restarts it per restartPolicy.
          std::string why = Probes(rec.id).kill_message;
          if (!why.empty()) {
            rec.kill_reason = why;
            events_.Record(pod, "spec.containers{" + c.value("name", "") + "}", false, "Killing",
                           why);
            (void)runtime_->Call("StopContainer", {{"containerId", rec.id}, {"timeout", grace}});
          }
        }
        LowerRequeue(requeue_after, options_.relist_period);
        all_done = false;
        if (init) return Status::Ok();  // init containers run one at a time
        continue;
      }
      int exit_code = s.value("exitCode", 0);
      bool restart =
          policy == "Always" ? !init || exit_code != 0 : policy == "OnFailure" && exit_code != 0;
      if (!restart) {
        if (init && exit_code != 0) return Status::Ok();  // the pod failed
        continue;
      }
      // Exited and will restart: remember the run, wait out the backoff (CrashLoopBackOff).
      rec.last_state = {{"terminated",
                         {{"exitCode", exit_code},
                          {"reason", exit_code == 0 ? "Completed" : "Error"},
                          {"startedAt", NsToRfc3339(s.value("startedAt", json()))},
                          {"finishedAt", NsToRfc3339(s.value("finishedAt", json()))},
                          {"containerID", runtime_->Name() + "://" + rec.id}}}};
      rec.kill_reason.clear();
      CAPSTAN_RETURN_IF_ERROR(RemoveContainer(rec, 0));
      rec.backoff = rec.backoff.count() == 0 ? options_.backoff_initial
                                             : std::min(rec.backoff * 2, options_.backoff_max);
      rec.restart_at = Clock::now() + rec.backoff;
      rec.waiting_restart = true;
      LowerRequeue(requeue_after, rec.backoff);
      all_done = false;
      if (init) return Status::Ok();
    }
    if (init && !all_done) return Status::Ok();
  }
  return Status::Ok();
}

Status Agent::SyncPod(const std::string& key) {
  client::ObjectPtr pod = informer_->Get(key);
  std::shared_ptr<PodRecord> record;
  {
    std::lock_guard<std::mutex> lock(pods_mu_);
    auto it = pods_.find(key);
    if (it != pods_.end()) record = it->second;
  }
  std::string uid = pod ? (*pod)["metadata"].value("uid", "") : "";
  if (record && record->uid != uid) {  // gone, or replaced by a pod of the same name
    CAPSTAN_RETURN_IF_ERROR(Teardown(*record));
    std::lock_guard<std::mutex> lock(pods_mu_);
    pods_.erase(key);
    record.reset();
  }
  if (!pod) return Status::Ok();
  const json& meta = (*pod)["metadata"];
  if (meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null()) {
    // The runtime honours the grace period in StopContainer (SIGTERM, then SIGKILL).
    if (record) {
      RunPreStopHooks(*pod, *record);
      int64_t grace =
          meta.value("deletionGracePeriodSeconds",
                     (*pod)["spec"].value("terminationGracePeriodSeconds", int64_t{30}));
      CAPSTAN_RETURN_IF_ERROR(Teardown(*record, grace));
    }
    Result<json> r = options_.client->Delete(PodPath(*pod), {{"apiVersion", "v1"},
                                                             {"kind", "DeleteOptions"},
                                                             {"gracePeriodSeconds", 0},
                                                             {"preconditions", {{"uid", uid}}}});
    if (!r.ok() && r.status().code() != StatusCode::kNotFound &&
        r.status().code() != StatusCode::kConflict) {
      return r.status().WithContext("finishing deletion");
    }
    std::lock_guard<std::mutex> lock(pods_mu_);
    pods_.erase(key);
    return Status::Ok();
  }
  if (!record) {
    std::string phase = (*pod).value("status", json::object()).value("phase", "");
    if (phase == "Succeeded" || phase == "Failed") return Status::Ok();  // nothing to run
    record = std::make_shared<PodRecord>();
    record->uid = uid;
    record->key = key;
    record->ns = meta.value("namespace", "default");
    record->name = meta.value("name", "");
    record->pod_dir = options_.data_dir + "/pods/" + uid;
    record->start_time = Rfc3339(std::chrono::system_clock::now());
    std::lock_guard<std::mutex> lock(pods_mu_);
    pods_[key] = record;
  }
  SyncTimeline& timeline = record->timeline;
  timeline.Begin();
  Status setup = Status::Ok();
  if (record->sandbox_id.empty()) {
    timeline.Noteworthy();
    std::error_code ec;
    std::filesystem::create_directories(record->pod_dir, ec);
    if (ec) return InternalError("creating " + record->pod_dir + ": " + ec.message());
    setup = SyncVolumes(*pod, *record, true);
    timeline.Mark("volumes");
    if (setup.ok()) setup = EnsureSandbox(*pod, *record);
  } else {
    setup = SyncVolumes(*pod, *record, false);
    timeline.Mark("volumes");
  }
  milliseconds requeue_after{0};
  if (setup.ok() && !record->sandbox_id.empty()) {
    Status run = RunContainers(*pod, *record, &requeue_after);
    // An ADD still pending here (no container was created: its image is being pulled) is
    // joined now; a failed one took the sandbox down and is retried like a failed setup.
    Status net = FinishNetworkAttach(*pod, *record);
    if (record->sandbox_id.empty()) {
      setup = run.ok() ? net : run;
    } else {
      CAPSTAN_RETURN_IF_ERROR(run);
    }
  } else if (Status net = FinishNetworkAttach(*pod, *record); !net.ok() && setup.ok()) {
    setup = net;
  }
  CAPSTAN_RETURN_IF_ERROR(ReportStatus(*pod, *record));
  timeline.End(key);
  if (!setup.ok()) return setup;  // retried with the queue's backoff
  if (record->volumes_ready && (*pod)["spec"].contains("volumes")) {
    LowerRequeue(&requeue_after, options_.volume_resync_period);
  }
  if (requeue_after.count() > 0) queue_->AddAfter(key, requeue_after);
  return Status::Ok();
}

}  // namespace capstan::agent
