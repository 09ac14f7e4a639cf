// Pod status building (pod_status.h), after the kubelet's status manager and getPhase.
#include "core/agent/pod_status.h"

namespace capstan::agent {
namespace {

using nlohmann::json;

bool Completed(const ContainerView& c) {
  return c.state == ContainerState::kTerminated && c.exit_code == 0;
}

bool Ready(const ContainerView& c) {
  return c.state == ContainerState::kRunning && c.ready.value_or(true);
}

json ContainerStatusJson(const ContainerView& c) {
  bool running = c.state == ContainerState::kRunning;
  json s = {{"name", c.name},
            {"image", c.image},
            {"imageID", c.image_id},
            {"ready", Ready(c)},
            {"started", running && c.started.value_or(true)},
            {"restartCount", c.restart_count},
            {"state", ContainerStateJson(c)},
            {"lastState", c.last_state.is_object() ? c.last_state : json::object()}};
  if (!c.container_id.empty()) s["containerID"] = c.container_id;
  return s;
}

// Condition `type` with `status`; keeps the previous lastTransitionTime if the status held.
json Condition(const json& previous_status, const std::string& type, bool status,
               const std::string& reason, const std::string& now) {
  std::string value = status ? "True" : "False";
  std::string since = now;
  const json* conds = previous_status.is_object() && previous_status.contains("conditions")
                          ? &previous_status["conditions"]
                          : nullptr;
  if (conds != nullptr && conds->is_array()) {
    for (const json& c : *conds) {
      if (c.value("type", "") == type && c.value("status", "") == value &&
          c.contains("lastTransitionTime") && c["lastTransitionTime"].is_string()) {
        since = c["lastTransitionTime"].get<std::string>();
      }
    }
  }
  json out = {
      {"type", type}, {"status", value}, {"lastProbeTime", nullptr}, {"lastTransitionTime", since}};
  if (!reason.empty()) out["reason"] = reason;
  return out;
}

}  // namespace

json ContainerStateJson(const ContainerView& c) {
  switch (c.state) {
    case ContainerState::kRunning:
      return {{"running", {{"startedAt", c.started_at}}}};
    case ContainerState::kTerminated: {
      json t = {{"exitCode", c.exit_code},
                {"reason", c.exit_code == 0 ? "Completed" : "Error"},
                {"startedAt", c.started_at},
                {"finishedAt", c.finished_at}};
      if (!c.container_id.empty()) t["containerID"] = c.container_id;
      return {{"terminated", t}};
    }
    case ContainerState::kWaiting:
      break;
  }
  json w = {{"reason", c.reason.empty() ? "ContainerCreating" : c.reason}};
  if (!c.message.empty()) w["message"] = c.message;
  return {{"waiting", w}};
}

std::string PodPhase(const std::string& restart_policy, const PodView& view) {
  for (const ContainerView& c : view.init_containers) {
    if (c.state == ContainerState::kTerminated && c.exit_code != 0 && restart_policy == "Never") {
      return "Failed";
    }
    if (!Completed(c)) return "Pending";
  }
  int running = 0, waiting = 0, failed = 0;
  for (const ContainerView& c : view.containers) {
    switch (c.state) {
      case ContainerState::kRunning:
        ++running;
        break;
      case ContainerState::kTerminated:
        if (c.exit_code != 0) ++failed;
        break;
      case ContainerState::kWaiting:
        // Waiting to restart after a previous run counts as stopped, as upstream.
        if (c.last_state.is_object() && c.last_state.contains("terminated")) {
          if (c.last_state["terminated"].value("exitCode", 0) != 0) ++failed;
        } else {
          ++waiting;
        }
        break;
    }
  }
  if (waiting > 0 || view.containers.empty()) return "Pending";
  if (running > 0) return "Running";
  if (restart_policy == "Always") return "Running";
  if (restart_policy == "OnFailure" && failed > 0) return "Running";
  return failed > 0 ? "Failed" : "Succeeded";
}

json BuildPodStatus(const json& pod, const PodView& view, const json& previous_status,
                    const std::string& now) {
  const json spec = pod.value("spec", json::object());
  std::string policy = spec.value("restartPolicy", "Always");
  std::string phase = PodPhase(policy, view);

  bool initialized = true;
  for (const ContainerView& c : view.init_containers) initialized = initialized && Completed(c);
  bool ready = !view.containers.empty();
  for (const ContainerView& c : view.containers) {
    ready = ready && Ready(c);
  }
  bool terminal = phase == "Succeeded" || phase == "Failed";
  std::string not_ready = terminal ? "PodCompleted" : "ContainersNotReady";

  json status = {{"phase", phase},
                 {"hostIP", view.host_ip},
                 {"hostIPs", json::array({{{"ip", view.host_ip}}})},
                 {"startTime", view.start_time}};
  status["conditions"] = json::array({
      Condition(previous_status, "PodScheduled", true, "", now),
      Condition(previous_status, "Initialized", initialized,
                initialized ? (terminal ? "PodCompleted" : "") : "ContainersNotInitialized", now),
      Condition(previous_status, "ContainersReady", ready, ready ? "" : not_ready, now),
      Condition(previous_status, "Ready", ready, ready ? "" : not_ready, now),
  });
  if (!view.pod_ip.empty()) {
    status["podIP"] = view.pod_ip;
    status["podIPs"] = json::array({{{"ip", view.pod_ip}}});
  }
  json init = json::array();
  for (const ContainerView& c : view.init_containers) init.push_back(ContainerStatusJson(c));
  if (!init.empty()) status["initContainerStatuses"] = init;
  json main = json::array();
  for (const ContainerView& c : view.containers) main.push_back(ContainerStatusJson(c));
  status["containerStatuses"] = main;
  const json pod_status = pod.value("status", json::object());
  if (pod_status.contains("qosClass")) status["qosClass"] = pod_status["qosClass"];
  return status;
}

}  // namespace capstan::agent
