// Which container a node-API request names and where its logs are: the pod from the agent's
// informer cache, the container's status, its log directory and attempts, and whether the run
// writing a log has ended. Shared by agent_server.cc (logs) and exec_session.cc (exec,
// attach); tests through tests/core/agent/server/agent_server_test.cc.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/status.h"

namespace capstan::agent::server {

// The pod object (as the agent's informer sees it) or null. Called from io threads: must be
// thread-safe and must not block.
using PodLookup = std::function<std::shared_ptr<const nlohmann::json>(const std::string& ns,
                                                                      const std::string& name)>;

struct ContainerTarget {
  std::string ns;
  std::string pod;
  std::string container;
  std::string uid;
  std::string log_dir;       // <pods_dir>/<uid>/logs/<container>; attempts are <N>.log inside
  nlohmann::json status;     // the container's entry of status.*containerStatuses, or null
  std::string container_id;  // the runtime's ID without its scheme; empty when none yet
  bool running = false;      // status.state.running is set
  // The container's spec: its stdin is kept open for attach; stdinOnce; a terminal.
  bool stdin = false;
  bool stdin_once = false;
  bool tty = false;
};

// Errors: kNotFound `pods "p" not found` / `container "c" not found in pod "p"`.
Result<ContainerTarget> ResolveContainer(const PodLookup& get_pod, const std::string& pods_dir,
                                         const std::string& ns, const std::string& pod,
                                         const std::string& container);

// The entry named `container` of the pod's container, init or ephemeral statuses; null if none.
nlohmann::json FindContainerStatus(const nlohmann::json& pod, const std::string& container);

// The attempts (N of N.log) in a container's log directory, ascending; empty when none.
std::vector<int> LogAttempts(const std::string& log_dir);

// Whether the container run writing attempt `attempt` has ended: the pod is gone or replaced,
// a later attempt exists, the pod finished, or the status reports this run terminated.
bool ContainerRunEnded(const PodLookup& get_pod, const ContainerTarget& target, int attempt);

}  // namespace capstan::agent::server
