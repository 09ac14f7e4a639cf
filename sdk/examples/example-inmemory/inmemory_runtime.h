// Example runtime plugin `example-inmemory`: pod sandboxes and containers as an in-memory state
// machine (CRI states, no processes), like a hollow node's runtime. Exported by plugin.cc;
// tested in tests/sdk/examples/example_inmemory_test.cc.
#ifndef CAPSTAN_EXAMPLES_INMEMORY_RUNTIME_H_
#define CAPSTAN_EXAMPLES_INMEMORY_RUNTIME_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "capstan/sdk/host.h"
#include "capstan/sdk/json.h"
#include "capstan/sdk/runtime.h"
#include "capstan/sdk/status.h"

namespace capstan::examples {

inline constexpr char kInMemoryRuntimeName[] = "example-inmemory";
inline constexpr char kInMemoryRuntimeVersion[] = "0.1.0";
inline constexpr char kInMemoryRuntimeDescription[] =
    "In-memory sandbox and container state machine (no processes)";
inline constexpr char kInMemoryRuntimeSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "maxSandboxes": {"type": "integer", "minimum": 1},
    "podIp": {"type": "string"}
  }
})";

// Sandboxes go READY -> NOTREADY (stop) -> removed; containers CREATED -> RUNNING -> EXITED ->
// removed. Stop and remove succeed on absent IDs, as CRI requires. Thread-safe: one mutex guards
// all state.
class InMemoryRuntime final : public sdk::RuntimePlugin {
 public:
  // INVALID when the config is not a JSON object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // RETRY_LATER when `maxSandboxes` are running; INVALID without config.metadata.name.
  sdk::Status RunPodSandbox(sdk::Call& call, std::string_view request_json,
                            std::string* response_json) override;
  // Stops every container of the sandbox too.
  sdk::Status StopPodSandbox(sdk::Call& call, std::string_view request_json,
                             std::string* response_json) override;
  sdk::Status RemovePodSandbox(sdk::Call& call, std::string_view request_json,
                               std::string* response_json) override;
  sdk::Status PodSandboxStatus(sdk::Call& call, std::string_view request_json,
                               std::string* response_json) override;
  // NOT_FOUND for an unknown sandbox; INVALID when it is not ready.
  sdk::Status CreateContainer(sdk::Call& call, std::string_view request_json,
                              std::string* response_json) override;
  // INVALID unless the container is CREATED.
  sdk::Status StartContainer(sdk::Call& call, std::string_view request_json,
                             std::string* response_json) override;
  sdk::Status StopContainer(sdk::Call& call, std::string_view request_json,
                            std::string* response_json) override;
  sdk::Status RemoveContainer(sdk::Call& call, std::string_view request_json,
                              std::string* response_json) override;
  sdk::Status ContainerStatus(sdk::Call& call, std::string_view request_json,
                              std::string* response_json) override;
  // Filters: id, state (sandboxes); id, podSandboxId, state (containers).
  sdk::Status ListPodSandbox(sdk::Call& call, std::string_view request_json,
                             std::string* response_json) override;
  sdk::Status ListContainers(sdk::Call& call, std::string_view request_json,
                             std::string* response_json) override;

 private:
  struct Sandbox {
    sdk::json::Json metadata;
    sdk::json::Json labels;
    sdk::json::Json annotations;
    bool ready = true;
    int64_t created_at = 0;
  };
  struct Container {
    std::string sandbox_id;
    sdk::json::Json metadata;
    std::string image;
    std::string log_path;
    std::string state = "CONTAINER_CREATED";
    int64_t created_at = 0;
    int64_t started_at = 0;
    int64_t finished_at = 0;
    int32_t exit_code = 0;
  };

  sdk::json::Json SandboxJson(const std::string& id, const Sandbox& s) const;
  sdk::json::Json ContainerJson(const std::string& id, const Container& c) const;
  void StopLocked(Container* c);

  int64_t max_sandboxes_ = 1000;
  std::string pod_ip_;

  std::mutex mu_;  // guards everything below
  uint64_t next_id_ = 1;
  std::map<std::string, Sandbox> sandboxes_;
  std::map<std::string, Container> containers_;
};

}  // namespace capstan::examples

#endif  // CAPSTAN_EXAMPLES_INMEMORY_RUNTIME_H_
