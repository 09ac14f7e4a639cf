// Container runtime plugins (CAPSTAN_KIND_RUNTIME, capstan/abi/runtime.h): `RuntimePlugin` to
// derive from — CRI RuntimeService calls as JSON named after CRI messages ("podSandboxId",
// "config", "logPath"...) — `ExecStreams`, and the export trampolines used by CAPSTAN_PLUGIN
// (plugin.h). The sandbox and container lifecycle is required; the rest is optional (NULL in the
// vtable unless overridden). Header-only, C++17.
#ifndef CAPSTAN_SDK_RUNTIME_H_
#define CAPSTAN_SDK_RUNTIME_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "capstan/abi/runtime.h"
#include "capstan/sdk/call.h"
#include "capstan/sdk/internal/bridge.h"
#include "capstan/sdk/status.h"

namespace capstan::sdk {

// The standard streams of an exec session: host-owned descriptors valid for the call, -1 when
// not attached. With `tty`, stdout carries both streams; `resize_fd` (runtime minor 2, -1 when
// absent) then carries the terminal sizes as lines "<columns> <rows>\n" (abi/runtime.h).
struct ExecStreams {
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  bool tty = false;
  int resize_fd = -1;
};

#define CAPSTAN_SDK_RUNTIME_RPC(Method) \
  virtual Status Method(Call& call, std::string_view request_json, std::string* response_json)
#define CAPSTAN_SDK_RUNTIME_OPTIONAL(Method)             \
  CAPSTAN_SDK_RUNTIME_RPC(Method) {                      \
    (void)call, (void)request_json, (void)response_json; \
    return Status::Unimplemented(#Method);               \
  }

// Derive from this to run pods. Threading: calls for different sandboxes run concurrently with
// CAPSTAN_CAP_THREAD_SAFE; calls for one sandbox and its containers are serialized, except Exec.
// Unknown IDs give NOT_FOUND, except Stop*/Remove*, which succeed on absent objects.
class RuntimePlugin {
 public:
  virtual ~RuntimePlugin() = default;

  // Required sandbox lifecycle: RunPodSandbox -> {"podSandboxId"}; PodSandboxStatus ->
  // {"status": {...}}.
  CAPSTAN_SDK_RUNTIME_RPC(RunPodSandbox) = 0;
  CAPSTAN_SDK_RUNTIME_RPC(StopPodSandbox) = 0;
  CAPSTAN_SDK_RUNTIME_RPC(RemovePodSandbox) = 0;
  CAPSTAN_SDK_RUNTIME_RPC(PodSandboxStatus) = 0;
  // Required container lifecycle: CreateContainer -> {"containerId"}; StopContainer honours
  // "timeout" seconds before SIGKILL; ContainerStatus -> {"status": {...}}.
  CAPSTAN_SDK_RUNTIME_RPC(CreateContainer) = 0;
  CAPSTAN_SDK_RUNTIME_RPC(StartContainer) = 0;
  CAPSTAN_SDK_RUNTIME_RPC(StopContainer) = 0;
  CAPSTAN_SDK_RUNTIME_RPC(RemoveContainer) = 0;
  CAPSTAN_SDK_RUNTIME_RPC(ContainerStatus) = 0;
  // Optional: listing with CRI filters (used to adopt state after a host restart).
  CAPSTAN_SDK_RUNTIME_OPTIONAL(ListPodSandbox)
  CAPSTAN_SDK_RUNTIME_OPTIONAL(ListContainers)
  // Optional: ExecSync -> {"exitCode", "stdout", "stderr"} (base64), for probes.
  CAPSTAN_SDK_RUNTIME_OPTIONAL(ExecSync)
  // Optional: reopen the log file after the host rotated it.
  CAPSTAN_SDK_RUNTIME_OPTIONAL(ReopenContainerLog)
  // Optional: UpdateContainerResources.
  CAPSTAN_SDK_RUNTIME_OPTIONAL(UpdateContainerResources)
  // Optional (runtime minor 1): ListContainerStats -> {"stats": [{"attributes": {"id",
  // "metadata", "labels"}, "cpu": {"timestamp", "usageCoreNanoSeconds": {"value"}}, "memory":
  // {"timestamp", "workingSetBytes": {"value"}}}]} for running containers (abi/runtime.h).
  CAPSTAN_SDK_RUNTIME_OPTIONAL(ListContainerStats)
  // Optional: runs {"containerId","cmd":[...]} attached to `streams` until it exits, with the
  // exit code in `*exit_code`. Stop with DEADLINE_EXCEEDED when `call.Cancelled()`. May run
  // concurrently with anything.
  virtual Status Exec(Call& call, std::string_view request_json, const ExecStreams& streams,
                      int32_t* exit_code) {
    (void)call, (void)request_json, (void)streams, (void)exit_code;
    return Status::Unimplemented("Exec");
  }
  // Optional (runtime minor 3): copies `streams.stdin_fd` to the stdin of the running container
  // {"containerId"} (and `streams.resize_fd` sizes to its terminal) until stdin_fd's EOF, the
  // container no longer takes stdin, or `call.Cancelled()` (DEADLINE_EXCEEDED). Output is not
  // passed (the host reads the log). May run concurrently with anything (abi/runtime.h).
  virtual Status Attach(Call& call, std::string_view request_json, const ExecStreams& streams) {
    (void)call, (void)request_json, (void)streams;
    return Status::Unimplemented("Attach");
  }
};

#undef CAPSTAN_SDK_RUNTIME_OPTIONAL
#undef CAPSTAN_SDK_RUNTIME_RPC

namespace internal {

#define CAPSTAN_SDK_RUNTIME_CHECK(Method) \
  CAPSTAN_SDK_CHECK_SIGNATURE(            \
      D, RuntimePlugin, Method,           \
      "Status " #Method "(Call&, std::string_view request_json, std::string* response_json)");
#define CAPSTAN_SDK_RUNTIME_RPC_FN(Method, index) \
  (&JsonRpc<D, RuntimePlugin, kSlotRuntimeFirst + (index), &RuntimePlugin::Method>)
#define CAPSTAN_SDK_RUNTIME_REQUIRED(Method, index) CAPSTAN_SDK_RUNTIME_RPC_FN(Method, index)
#define CAPSTAN_SDK_RUNTIME_ENTRY(Method, index) \
  CAPSTAN_SDK_OPTIONAL(D, RuntimePlugin, Method, CAPSTAN_SDK_RUNTIME_RPC_FN(Method, index))

template <typename D>
struct RuntimeBridge {
  CAPSTAN_SDK_RUNTIME_CHECK(RunPodSandbox)
  CAPSTAN_SDK_RUNTIME_CHECK(StopPodSandbox)
  CAPSTAN_SDK_RUNTIME_CHECK(RemovePodSandbox)
  CAPSTAN_SDK_RUNTIME_CHECK(PodSandboxStatus)
  CAPSTAN_SDK_RUNTIME_CHECK(CreateContainer)
  CAPSTAN_SDK_RUNTIME_CHECK(StartContainer)
  CAPSTAN_SDK_RUNTIME_CHECK(StopContainer)
  CAPSTAN_SDK_RUNTIME_CHECK(RemoveContainer)
  CAPSTAN_SDK_RUNTIME_CHECK(ContainerStatus)
  CAPSTAN_SDK_RUNTIME_CHECK(ListPodSandbox)
  CAPSTAN_SDK_RUNTIME_CHECK(ListContainers)
  CAPSTAN_SDK_RUNTIME_CHECK(ExecSync)
  CAPSTAN_SDK_RUNTIME_CHECK(ReopenContainerLog)
  CAPSTAN_SDK_RUNTIME_CHECK(UpdateContainerResources)
  CAPSTAN_SDK_RUNTIME_CHECK(ListContainerStats)
  CAPSTAN_SDK_CHECK_SIGNATURE(
      D, RuntimePlugin, Exec,
      "Status Exec(Call&, std::string_view request_json, const ExecStreams&, int32_t*)");

  CAPSTAN_SDK_CHECK_SIGNATURE(D, RuntimePlugin, Attach,
                              "Status Attach(Call&, std::string_view request_json, "
                              "const ExecStreams&)");

  static ExecStreams ReadStreams(const capstan_runtime_streams* streams) {
    ExecStreams s;
    if (CAPSTAN_SDK_HAS_FIELD(streams, capstan_runtime_streams, tty)) {
      s.stdin_fd = streams->stdin_fd;
      s.stdout_fd = streams->stdout_fd;
      s.stderr_fd = streams->stderr_fd;
      s.tty = streams->tty != 0;
    }
    if (CAPSTAN_SDK_HAS_FIELD(streams, capstan_runtime_streams, resize_fd)) {
      s.resize_fd = streams->resize_fd;
    }
    return s;
  }

  static capstan_rc OnAttach(capstan_plugin_state* state, capstan_call* call,
                             capstan_host_buf request,
                             const capstan_runtime_streams* streams) noexcept {
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      Status st = static_cast<RuntimePlugin&>(inst->plugin)
                      .Attach(c, ToView(request), ReadStreams(streams));
      return Finish(call, st);
    });
  }

  static capstan_rc OnExec(capstan_plugin_state* state, capstan_call* call,
                           capstan_host_buf request, const capstan_runtime_streams* streams,
                           int32_t* out_exit_code) noexcept {
    if (out_exit_code != nullptr) *out_exit_code = -1;
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      ExecStreams s = ReadStreams(streams);
      int32_t exit_code = -1;
      Status st = static_cast<RuntimePlugin&>(inst->plugin).Exec(c, ToView(request), s, &exit_code);
      if (out_exit_code != nullptr) *out_exit_code = exit_code;
      return Finish(call, st);
    });
  }

  // Positional, in the order of `capstan_runtime_v1`.
  static constexpr capstan_runtime_v1 kVtable = {
      sizeof(capstan_runtime_v1),
      0,
      CAPSTAN_SDK_RUNTIME_REQUIRED(RunPodSandbox, 0),
      CAPSTAN_SDK_RUNTIME_REQUIRED(StopPodSandbox, 1),
      CAPSTAN_SDK_RUNTIME_REQUIRED(RemovePodSandbox, 2),
      CAPSTAN_SDK_RUNTIME_REQUIRED(PodSandboxStatus, 3),
      CAPSTAN_SDK_RUNTIME_REQUIRED(CreateContainer, 4),
      CAPSTAN_SDK_RUNTIME_REQUIRED(StartContainer, 5),
      CAPSTAN_SDK_RUNTIME_REQUIRED(StopContainer, 6),
      CAPSTAN_SDK_RUNTIME_REQUIRED(RemoveContainer, 7),
      CAPSTAN_SDK_RUNTIME_REQUIRED(ContainerStatus, 8),
      CAPSTAN_SDK_RUNTIME_ENTRY(ListPodSandbox, 9),
      CAPSTAN_SDK_RUNTIME_ENTRY(ListContainers, 10),
      CAPSTAN_SDK_RUNTIME_ENTRY(ExecSync, 11),
      CAPSTAN_SDK_RUNTIME_ENTRY(ReopenContainerLog, 12),
      CAPSTAN_SDK_OPTIONAL(D, RuntimePlugin, Exec, &OnExec),
      CAPSTAN_SDK_RUNTIME_ENTRY(UpdateContainerResources, 13),
      CAPSTAN_SDK_RUNTIME_ENTRY(ListContainerStats, 14),
      CAPSTAN_SDK_OPTIONAL(D, RuntimePlugin, Attach, &OnAttach),
  };
  static_assert(kSlotRuntimeFirst + 15 <= kSlotCount, "runtime output slots overflow");

  static constexpr capstan_kind_descriptor Kind() {
    return {sizeof(capstan_kind_descriptor),
            CAPSTAN_KIND_RUNTIME,
            CAPSTAN_RUNTIME_IFACE_MAJOR,
            CAPSTAN_RUNTIME_IFACE_MINOR,
            0,
            &kVtable};
  }
};

#undef CAPSTAN_SDK_RUNTIME_CHECK
#undef CAPSTAN_SDK_RUNTIME_RPC_FN
#undef CAPSTAN_SDK_RUNTIME_REQUIRED
#undef CAPSTAN_SDK_RUNTIME_ENTRY

}  // namespace internal
}  // namespace capstan::sdk

#endif  // CAPSTAN_SDK_RUNTIME_H_
