// Pod status as the upstream kubelet reports it — phase, conditions, containerStatuses, IPs —
// built from what the agent knows of a pod's sandbox and containers (`PodView`). Pure functions;
// agent.cc fills the view from the runtime plugin. Tests: tests/core/agent/pod_status_test.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace capstan::agent {

enum class ContainerState { kWaiting, kRunning, kTerminated };

// One container as the pod status shows it. Times are RFC 3339 ("2026-01-02T03:04:05Z").
struct ContainerView {
  std::string name;
  std::string image;
  std::string image_id;
  std::string container_id;  // "fake://container-3"; empty before the first create
  ContainerState state = ContainerState::kWaiting;
  std::string reason;  // waiting: ContainerCreating, PodInitializing, CrashLoopBackOff
  std::string message;
  int exit_code = 0;  // terminated only
  std::string started_at;
  std::string finished_at;  // terminated only
  int restart_count = 0;
  // The previous run's `{"terminated": {...}}`, or null.
  nlohmann::json last_state;
  // Probe outcomes; unset means "while running" (no readiness / startup probe).
  std::optional<bool> ready;
  std::optional<bool> started;
};

struct PodView {
  std::string host_ip;
  std::string pod_ip;  // empty until the sandbox has one
  std::string start_time;
  std::vector<ContainerView> init_containers;  // in spec order
  std::vector<ContainerView> containers;       // in spec order
};

// The `state` object of a container status: {"waiting": {"reason"}}, {"running": {"startedAt"}}
// or {"terminated": {"exitCode", "reason": "Completed"|"Error", "startedAt", "finishedAt"}}.
nlohmann::json ContainerStateJson(const ContainerView& c);

// The pod phase the kubelet would report (its getPhase): Pending until every init container
// completed and no container is still waiting to start for the first time; Running while one
// runs or a stopped one will restart (`restart_policy` "Always", or "OnFailure" after a
// failure); Succeeded / Failed once all stopped for good. An init container failing under
// "Never" fails the pod.
std::string PodPhase(const std::string& restart_policy, const PodView& view);

// The full `status` to PATCH: phase, conditions (PodScheduled, Initialized, ContainersReady,
// Ready; lastTransitionTime kept from `previous_status` when a condition's status did not
// change, else `now`), hostIP(s), podIP(s), startTime, initContainerStatuses, containerStatuses.
// `pod` supplies spec.restartPolicy and status.qosClass (kept). A container is ready while it
// runs and its `ready` (readiness probe) is not false.
nlohmann::json BuildPodStatus(const nlohmann::json& pod, const PodView& view,
                              const nlohmann::json& previous_status, const std::string& now);

}  // namespace capstan::agent
