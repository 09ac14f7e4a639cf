// `RuntimeClient`: calls a runtime plugin instance (capstan/abi/runtime.h) with CRI-shaped JSON
// requests and returns parsed responses as `capstan::Status`/`Result`. Used by agent.h's pod
// workers; the instance comes from the plugin registry (core/plugin/registry.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/plugin/instance.h"

namespace capstan::agent {

// Thread-safe: the plugin instance serializes calls itself unless it declares itself thread-safe.
class RuntimeClient {
 public:
  // `instance` must implement CAPSTAN_KIND_RUNTIME (checked by the caller, see Create).
  // Errors: kInvalid when it does not.
  static Result<std::unique_ptr<RuntimeClient>> Create(
      std::shared_ptr<plugin::PluginInstance> instance,
      std::chrono::milliseconds call_timeout = std::chrono::seconds(120));

  // One RPC by CRI name: "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox",
  // "PodSandboxStatus", "CreateContainer", "StartContainer", "StopContainer", "RemoveContainer",
  // "ContainerStatus", "ListPodSandbox", "ListContainers", "ExecSync", "ListContainerStats".
  // Returns the response object ({} when empty). Errors: the plugin's outcome mapped by
  // CallOutcome::ToStatus (kNotFound for unknown IDs, kUnimplemented for NULL entries), kInternal
  // for malformed output, kInvalid for an unknown method name.
  Result<nlohmann::json> Call(std::string_view method, const nlohmann::json& request) const;

  // Streams of an attached command (`on_exec`): descriptors owned by the caller, -1 when not
  // attached; with `tty`, stdout carries both streams and `resize_fd` (-1: none) the terminal
  // sizes as lines "<columns> <rows>\n" (abi/runtime.h, runtime minor 2).
  struct ExecStreams {
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    bool tty = false;
    int resize_fd = -1;
  };
  // Runs `cmd` in container `container_id` attached to `streams` until it exits, with no
  // deadline (interactive sessions last); `cancel` (borrowed, may be null) ends it. Returns the
  // exit code. Errors: kUnimplemented when the plugin has no `on_exec`; the plugin's outcome
  // otherwise (kNotFound for an unknown container, kTimeout once cancelled). Blocks; callers
  // run it on a thread of their own.
  Result<int32_t> Exec(const std::string& container_id, const std::vector<std::string>& cmd,
                       const ExecStreams& streams, const plugin::CancelToken* cancel) const;

  // Attaches `streams.stdin_fd` (and with `tty` the `resize_fd` sizes) to the stdin of running
  // container `container_id` (`on_attach`, runtime minor 3) until stdin's EOF, the container
  // stops taking stdin, or `cancel` (borrowed, may be null). No deadline. Output is not passed:
  // read the log. Errors: kUnimplemented when the plugin has no `on_attach` (NULL, or built
  // against an older minor); the plugin's outcome otherwise (kInvalid: no stdin or not
  // running). Blocks; callers run it on a thread of their own.
  Status Attach(const std::string& container_id, const ExecStreams& streams,
                const plugin::CancelToken* cancel) const;

  // One container's figures from ListContainerStats (abi/runtime.h, runtime minor 1).
  struct ContainerStats {
    std::string id;
    std::string name;                           // attributes.metadata.name
    std::map<std::string, std::string> labels;  // CreateContainer's config.labels
    int64_t cpu_timestamp_ns = 0;
    uint64_t usage_core_nanoseconds = 0;  // cumulative CPU time
    bool has_cpu = false;
    int64_t memory_timestamp_ns = 0;
    uint64_t working_set_bytes = 0;
    bool has_memory = false;
  };
  // The running containers' usage (CRI ListContainerStats with an empty filter). A plugin
  // without `on_list_container_stats` (NULL, or built against runtime minor 0) has no stats:
  // an empty list, not an error. Entries without an id are skipped. Errors: the plugin's
  // outcome; kInternal for a response that is not {"stats": [...]}. Thread-safe.
  Result<std::vector<ContainerStats>> ListContainerStats() const;

  // "<plugin name>://<plugin version>", as nodeInfo.containerRuntimeVersion shows it.
  std::string RuntimeVersion() const;
  // The plugin's name: the scheme of container IDs ("fake://<id>").
  const std::string& Name() const { return instance_->info().name; }

 private:
  explicit RuntimeClient(std::shared_ptr<plugin::PluginInstance> instance,
                         std::chrono::milliseconds call_timeout)
      : instance_(std::move(instance)), call_timeout_(call_timeout) {}

  std::shared_ptr<plugin::PluginInstance> instance_;
  std::chrono::milliseconds call_timeout_;
};

}  // namespace capstan::agent
