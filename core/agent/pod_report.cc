// Pod status reporting (agent.h `ReportStatus`): reads each container from the runtime, folds in
// waiting reasons (image pulls, config errors, crash-loop backoff) and probe results, builds the
// kubelet-style status (pod_status.h) and PATCHes it when it changed.
#include "core/agent/agent.h"
#include "core/agent/pod_status.h"
#include "core/agent/sync_util.h"

namespace capstan::agent {

using nlohmann::json;

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
        if (!rec.image_id.empty()) v.image_id = rec.image_id;
        if (rec.waiting_restart) {
          v.reason = "CrashLoopBackOff";
          v.message = "back-off " + std::to_string(rec.backoff.count() / 1000) +
                      "s restarting failed container=" + v.name + " pod=" + record.name + "_" +
                      record.ns + "(" + record.uid + ")";
        } else if (rec.id.empty() && !rec.waiting_reason.empty()) {
          v.reason = rec.waiting_reason;
          v.message = rec.waiting_message;
        } else if (!rec.id.empty()) {
          Result<json> st = runtime_->Call("ContainerStatus", {{"containerId", rec.id}});
          if (!st.ok()) return st.status();
          const json& s = (*st)["status"];
          v.container_id = runtime_->Name() + "://" + rec.id;
          if (rec.image_id.empty() && s.contains("imageRef") && s["imageRef"].is_string()) {
            v.image_id = s["imageRef"];
          }
          std::string state = s.value("state", "");
          v.started_at = NsToRfc3339(s.value("startedAt", json()));
          if (state == "CONTAINER_RUNNING") {
            v.state = ContainerState::kRunning;
            if (!init) {
              ProbeView probes = Probes(rec.id);
              v.ready = probes.ready;
              v.started = probes.started;
            }
          }
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
  record.timeline.Mark("build_status");
  if (status == record.last_status) return Status::Ok();
  Result<json> r = options_.client->Patch(PodPath(pod) + "/status", "application/merge-patch+json",
                                          {{"status", status}});
  record.timeline.Mark("status_patch");
  if (!r.ok()) return r.status().WithContext("patching pod status");
  record.last_status = std::move(status);
  return Status::Ok();
}

}  // namespace capstan::agent
