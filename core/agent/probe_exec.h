// One probe or lifecycle-hook action against a container, as the kubelet's prober and handler
// runner perform them: exec (runtime ExecSync), httpGet (HTTP to the pod IP or `host`, named or
// numeric port, path, headers, scheme) and tcpSocket (a connect). Implementation in
// probe_exec.cc; scheduling in prober.cc. Thread-safety: reentrant.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "core/agent/runtime_client.h"

namespace capstan::agent {

struct ProbeOutcome {
  bool success = false;
  // Why it failed, in the kubelet's words ("HTTP probe failed with statuscode: 500", the exec
  // output, "dial tcp 10.0.0.1:80: connect: connection refused"); empty on success.
  std::string message;
};

// Runs the action in `handler` (a Probe or a LifecycleHandler: exec / httpGet / tcpSocket)
// within `timeout`. httpGet succeeds on 200-399, exec on exit code 0. An action of no known
// kind (grpc, sleep) succeeds, so the agent never kills a container over what it cannot run.
ProbeOutcome RunProbeAction(const RuntimeClient& runtime, const nlohmann::json& handler,
                            const std::string& pod_ip, const nlohmann::json& container,
                            const std::string& container_id, std::chrono::milliseconds timeout);

}  // namespace capstan::agent
