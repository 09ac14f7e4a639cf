// `RuntimeClient`: calls a runtime plugin instance (capstan/abi/runtime.h) with CRI-shaped JSON
// requests and returns parsed responses as `capstan::Status`/`Result`. Used by agent.h's pod
// workers; the instance comes from the plugin registry (core/plugin/registry.h).
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

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
  // "ContainerStatus", "ListPodSandbox", "ListContainers", "ExecSync". Returns the response object
  // ({} when empty). Errors: the plugin's outcome mapped by CallOutcome::ToStatus (kNotFound for
  // unknown IDs, kUnimplemented for NULL entries), kInternal for malformed output, kInvalid for an
  // unknown method name.
  Result<nlohmann::json> Call(std::string_view method, const nlohmann::json& request) const;

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
