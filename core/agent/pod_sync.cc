// Agent pod workers (agent.h): one reconcile step per pod key — run the sandbox, the init
// containers to completion, then the containers; restart exited ones with backoff; report status;
// tear down and finish deletion. Status building: pod_status.h.
#include "core/agent/agent.h"
#include "core/agent/pod_status.h"
#include "core/client/paths.h"

namespace capstan::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::string PodPath(const json& pod) {
  const json& m = pod["metadata"];
  return "/api/v1/namespaces/" + m.value("namespace", "default") + "/pods/" + m.value("name", "");
}

// Runtime nanosecond timestamps ("123" or 123) as RFC 3339; "" for zero.
std::string NsToRfc3339(const json& v) {
  int64_t ns = 0;
  if (v.is_number_integer()) ns = v.get<int64_t>();
  if (v.is_string()) ns = std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
  if (ns <= 0) return "";
  return Rfc3339(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(ns))));
}

void Min(milliseconds* current, milliseconds candidate) {
  if (candidate < milliseconds(1)) candidate = milliseconds(1);
  if (current->count() == 0 || candidate < *current) *current = candidate;
}

}  // namespace

Status Agent::Teardown(PodRecord& record) {
  for (auto& [name, c] : record.containers) {
    if (c.id.empty()) continue;
    Result<json> r = runtime_->Call("StopContainer", {{"containerId", c.id}, {"timeout", 0}});
    if (!r.ok()) return r.status();
    r = runtime_->Call("RemoveContainer", {{"containerId", c.id}});
    if (!r.ok()) return r.status();
    c.id.clear();
  }
  if (!record.sandbox_id.empty()) {
    Result<json> r = runtime_->Call("StopPodSandbox", {{"podSandboxId", record.sandbox_id}});
    if (!r.ok()) return r.status();
    r = runtime_->Call("RemovePodSandbox", {{"podSandboxId", record.sandbox_id}});
    if (!r.ok()) return r.status();
    record.sandbox_id.clear();
  }
  return Status::Ok();
}

Status Agent::StartContainer(const json& pod, const json& container, PodRecord& record,
                             ContainerRecord& rec) {
  const json& meta = pod["metadata"];
  json config = {
      {"metadata", {{"name", container.value("name", "")}, {"attempt", rec.restart_count}}},
      {"image", {{"image", container.value("image", "")}}},
      {"command", container.value("command", json::array())},
      {"args", container.value("args", json::array())},
      {"envs", json::array()},
      {"labels",
       {{"io.kubernetes.pod.name", meta.value("name", "")},
        {"io.kubernetes.pod.namespace", meta.value("namespace", "")},
        {"io.kubernetes.pod.uid", record.uid},
        {"io.kubernetes.container.name", container.value("name", "")}}}};
  Result<json> created =
      runtime_->Call("CreateContainer", {{"podSandboxId", record.sandbox_id}, {"config", config}});
  if (!created.ok()) return created.status();
  rec.id = created->value("containerId", "");
  Result<json> started = runtime_->Call("StartContainer", {{"containerId", rec.id}});
  return started.ok() ? Status::Ok() : started.status();
}

Status Agent::RunContainers(const json& pod, PodRecord& record, milliseconds* requeue_after) {
  const json spec = pod.value("spec", json::object());
  std::string policy = spec.value("restartPolicy", "Always");
  for (const char* group : {"initContainers", "containers"}) {
    bool init = std::string(group) == "initContainers";
    bool all_done = true;
    for (const json& c : spec.value(group, json::array())) {
      ContainerRecord& rec =
          record.containers[std::string(init ? "init/" : "main/") + c.value("name", "")];
      if (rec.id.empty() && !rec.waiting_restart) {
        CAPSTAN_RETURN_IF_ERROR(StartContainer(pod, c, record, rec));
      }
      if (rec.waiting_restart) {
        if (Clock::now() < rec.restart_at) {
          Min(requeue_after,
              std::chrono::duration_cast<milliseconds>(rec.restart_at - Clock::now()));
          all_done = false;
          if (init) return Status::Ok();
          continue;
        }
        rec.waiting_restart = false;
        ++rec.restart_count;
        CAPSTAN_RETURN_IF_ERROR(StartContainer(pod, c, record, rec));
      }
      Result<json> st = runtime_->Call("ContainerStatus", {{"containerId", rec.id}});
      if (!st.ok()) return st.status();
      const json& s = (*st)["status"];
      if (s.value("state", "") != "CONTAINER_EXITED") {
        Min(requeue_after, options_.relist_period);
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
      (void)runtime_->Call("RemoveContainer", {{"containerId", rec.id}});
      rec.id.clear();
      rec.backoff = rec.backoff.count() == 0 ? options_.backoff_initial
                                             : std::min(rec.backoff * 2, options_.backoff_max);
      rec.restart_at = Clock::now() + rec.backoff;
      rec.waiting_restart = true;
      Min(requeue_after, rec.backoff);
      all_done = false;
      if (init) return Status::Ok();
    }
    if (init && !all_done) return Status::Ok();
  }
  return Status::Ok();
}

Status Agent::ReportStatus(const json& pod, PodRecord& record) {
  const json spec = pod.value("spec", json::object());
  PodView view;
  view.host_ip = report_.machine.internal_ip;
  view.pod_ip = record.pod_ip;
  view.start_time = record.start_time;
  bool init_pending = false;
  for (const char* group : {"initContainers", "containers"}) {
    bool init = std::string(group) == "initContainers";
    for (const json& c : spec.value(group, json::array())) {
      ContainerView v;
      v.name = c.value("name", "");
      v.image = c.value("image", "");
      v.image_id = v.image;
      v.reason = init_pending && !init ? "PodInitializing" : "ContainerCreating";
      auto it = record.containers.find(std::string(init ? "init/" : "main/") + v.name);
      if (it != record.containers.end()) {
        const ContainerRecord& rec = it->second;
        v.restart_count = rec.restart_count;
        v.last_state = rec.last_state;
        if (rec.waiting_restart) {
          v.reason = "CrashLoopBackOff";
          v.message = "back-off " + std::to_string(rec.backoff.count() / 1000) +
                      "s restarting failed container=" + v.name;
        } else if (!rec.id.empty()) {
          Result<json> st = runtime_->Call("ContainerStatus", {{"containerId", rec.id}});
          if (!st.ok()) return st.status();
          const json& s = (*st)["status"];
          v.container_id = runtime_->Name() + "://" + rec.id;
          if (s.contains("imageRef") && s["imageRef"].is_string()) v.image_id = s["imageRef"];
          std::string state = s.value("state", "");
          v.started_at = NsToRfc3339(s.value("startedAt", json()));
          if (state == "CONTAINER_RUNNING") v.state = ContainerState::kRunning;
          if (state == "CONTAINER_EXITED") {
            v.state = ContainerState::kTerminated;
            v.exit_code = s.value("exitCode", 0);
            v.finished_at = NsToRfc3339(s.value("finishedAt", json()));
          }
        }
      }
      if (init && !(v.state == ContainerState::kTerminated && v.exit_code == 0)) {
        init_pending = true;
      }
      (init ? view.init_containers : view.containers).push_back(std::move(v));
    }
  }
  const json& previous =
      record.last_status.is_object() ? record.last_status : pod.value("status", json::object());
  json status = BuildPodStatus(pod, view, previous, Rfc3339(std::chrono::system_clock::now()));
  if (status == record.last_status) return Status::Ok();
  Result<json> r = options_.client->Patch(PodPath(pod) + "/status", "application/merge-patch+json",
                                          {{"status", status}});
  if (!r.ok()) return r.status().WithContext("patching pod status");
  record.last_status = std::move(status);
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
    // The fake runtime stops at once; a real one honours the grace period in StopContainer.
    if (record) CAPSTAN_RETURN_IF_ERROR(Teardown(*record));
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
    record->start_time = Rfc3339(std::chrono::system_clock::now());
    std::lock_guard<std::mutex> lock(pods_mu_);
    pods_[key] = record;
  }
  if (record->sandbox_id.empty()) {
    json config = {{"metadata",
                    {{"name", meta.value("name", "")},
                     {"namespace", meta.value("namespace", "")},
                     {"uid", uid},
                     {"attempt", 0}}},
                   {"hostname", meta.value("name", "")},
                   {"labels", meta.value("labels", json::object())},
                   {"annotations", meta.value("annotations", json::object())}};
    Result<json> run = runtime_->Call("RunPodSandbox", {{"config", config}});
    if (!run.ok()) return run.status().WithContext("running sandbox");
    record->sandbox_id = run->value("podSandboxId", "");
    Result<json> sb = runtime_->Call("PodSandboxStatus", {{"podSandboxId", record->sandbox_id}});
    if (!sb.ok()) return sb.status();
    record->pod_ip = (*sb)["status"].value("network", json::object()).value("ip", "");
  }
  milliseconds requeue_after{0};
  CAPSTAN_RETURN_IF_ERROR(RunContainers(*pod, *record, &requeue_after));
  CAPSTAN_RETURN_IF_ERROR(ReportStatus(*pod, *record));
  if (requeue_after.count() > 0) queue_->AddAfter(key, requeue_after);
  return Status::Ok();
}

}  // namespace capstan::agent
