// Runtime plugin `runc`: pods as real containers run by Debian's runc — persistent pod
// namespaces (namespaces.h), OCI bundles (oci_spec.h), a per-container shim for logs and exit
// codes (shim.h), state persisted for adoption after a restart (records.h). Exported by
// plugin.cc; tested in oci_spec_test.cc and runc_runtime_test.cc beside it.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_RUNC_RUNTIME_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_RUNC_RUNTIME_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/host.h"
#include "capstan/sdk/json.h"
#include "capstan/sdk/runtime.h"
#include "capstan/sdk/status.h"
#include "process.h"
#include "records.h"

namespace capstan::plugins::runc_runtime {

inline constexpr char kRuncRuntimeName[] = "runc";
inline constexpr char kRuncRuntimeVersion[] = "0.1.0";
inline constexpr char kRuncRuntimeDescription[] =
    "Pods as OCI containers run by runc, with persistent pod namespaces and CRI logs";
inline constexpr char kRuncRuntimeSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "stateDir": {"type": "string", "pattern": "^/"},
    "runcPath": {"type": "string", "pattern": "^/"},
    "cgroupRoot": {"type": "string", "minLength": 1}
  }
})";

// The CRI lifecycle over runc. Sandboxes: READY -> NOTREADY (StopPodSandbox kills its
// containers; the namespaces stay until RemovePodSandbox so the host can still run CNI DEL) ->
// removed. Containers: CREATED (`runc create` through the shim) -> RUNNING (`runc start`) ->
// EXITED (the shim wrote the exit file) -> removed (`runc delete --force`, bundle deleted).
// A container whose shim vanished without an exit file reads CONTAINER_UNKNOWN.
// Config: `stateDir` (default /run/capstan/runc), `runcPath` (/usr/sbin/runc), `cgroupRoot`
// ("capstan": containers get cgroupsPath "<cgroupRoot>/<sandbox id>/<container id>", relative,
// i.e. nested under the cgroup the plugin runs in, per hierarchy).
// Thread-safe: one mutex guards the record maps and their files; runc and the shim run outside
// it. The host serializes calls per sandbox, so one container never sees racing lifecycle calls.
class RuncRuntime final : public sdk::RuntimePlugin {
 public:
  ~RuncRuntime() override = default;

  // Creates the state directories and loads the records a previous instance left there.
  // INVALID on a bad config; UNAVAILABLE when the state directory cannot be created.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // UNAVAILABLE when runc is not executable.
  sdk::Status Health(sdk::Call& call);

  sdk::Status RunPodSandbox(sdk::Call& call, std::string_view request_json,
                            std::string* response_json) override;
  sdk::Status StopPodSandbox(sdk::Call& call, std::string_view request_json,
                             std::string* response_json) override;
  sdk::Status RemovePodSandbox(sdk::Call& call, std::string_view request_json,
                               std::string* response_json) override;
  // "info": {"netnsPath"} unless the pod uses the host network.
  sdk::Status PodSandboxStatus(sdk::Call& call, std::string_view request_json,
                               std::string* response_json) override;
  // NOT_FOUND for an unknown sandbox; INVALID when it is not ready or the config cannot become
  // a spec; ALREADY_EXISTS for a second container with the same name and attempt; ERROR with
  // runc's message when `runc create` fails.
  sdk::Status CreateContainer(sdk::Call& call, std::string_view request_json,
                              std::string* response_json) override;
  // INVALID unless CREATED.
  sdk::Status StartContainer(sdk::Call& call, std::string_view request_json,
                             std::string* response_json) override;
  // SIGTERM, then SIGKILL after "timeout" seconds; returns once the exit is recorded.
  sdk::Status StopContainer(sdk::Call& call, std::string_view request_json,
                            std::string* response_json) override;
  sdk::Status RemoveContainer(sdk::Call& call, std::string_view request_json,
                              std::string* response_json) override;
  sdk::Status ContainerStatus(sdk::Call& call, std::string_view request_json,
                              std::string* response_json) override;
  // Filters: id, state, labelSelector (sandboxes; -> {"items"}); id, podSandboxId, state,
  // labelSelector (containers; -> {"containers"}).
  sdk::Status ListPodSandbox(sdk::Call& call, std::string_view request_json,
                             std::string* response_json) override;
  sdk::Status ListContainers(sdk::Call& call, std::string_view request_json,
                             std::string* response_json) override;
  // `runc exec`; "timeout" seconds (0: the call's deadline) -> DEADLINE_EXCEEDED when passed.
  sdk::Status ExecSync(sdk::Call& call, std::string_view request_json,
                       std::string* response_json) override;
  // Signals the shim to reopen the log file.
  sdk::Status ReopenContainerLog(sdk::Call& call, std::string_view request_json,
                                 std::string* response_json) override;
  // `runc exec` attached to the host's descriptors. With `tty` the process gets a terminal of its
  // own (`runc exec --tty --console-socket`, tty_exec.h) when the host passed `resize_fd`
  // (runtime minor 2); an older host's `tty` runs it without one, stdout carrying both streams.
  sdk::Status Exec(sdk::Call& call, std::string_view request_json, const sdk::ExecStreams& streams,
                   int32_t* exit_code) override;

  // Attach to the stdin of a container created with "stdin": connects to the shim's attach
  // socket (attach_frame.h, shim_attach.h) and copies stdin and terminal sizes to it
  // (runc_attach.cc). INVALID without stdin or when not running.
  sdk::Status Attach(sdk::Call& call, std::string_view request_json,
                     const sdk::ExecStreams& streams) override;

  // Running containers' CPU time and memory working set from their cgroups (runc_stats.cc,
  // cgroup_stats.h). Filters: id, podSandboxId. A container whose cgroup files cannot be read is
  // left out.
  sdk::Status ListContainerStats(sdk::Call& call, std::string_view request_json,
                                 std::string* response_json) override;

  // The bundle directory of a container (tests read its files).
  std::string BundleDir(const std::string& container_id) const;

 private:
  // The observed state of a container (from its exit file and shim).
  struct Observed {
    std::string state;
    int32_t exit_code = 0;
    int64_t finished_at = 0;
  };

  Observed Observe(const ContainerRecord& c) const;
  sdk::json::Json SandboxJson(const SandboxRecord& s) const;
  sdk::json::Json ContainerJson(const ContainerRecord& c) const;
  std::string SandboxDir(const std::string& id) const;
  sdk::Status Runc(const std::vector<std::string>& args, int64_t deadline_mono_ns,
                   std::string* output = nullptr) const;
  // Signals and waits for the exit file; SIGKILL after `timeout_s`.
  sdk::Status StopOne(sdk::Call& call, const ContainerRecord& c, int64_t timeout_s);
  sdk::Status RemoveOne(sdk::Call& call, const ContainerRecord& c);
  sdk::Status SaveLocked(const SandboxRecord& s) const;
  sdk::Status SaveLocked(const ContainerRecord& c) const;
  bool FindContainer(const std::string& id, ContainerRecord* out);
  // The container named by the request's "containerId"; NOT_FOUND when unknown.
  sdk::Status RequestedContainer(const sdk::json::Json& req, ContainerRecord* out);
  // An exec request: its JSON, its non-empty `cmd` and its container. INVALID without a cmd.
  sdk::Status ExecTarget(std::string_view request_json, sdk::json::Json* req,
                         const sdk::json::Json** cmd, ContainerRecord* container);
  // Runs the exec request's "cmd" with `runc exec` under the call's deadline (and the request's
  // "timeout" seconds), killing the exec'd process too when it expires.
  sdk::Status RunExec(sdk::Call& call, std::string_view request_json, CommandOptions options,
                      CommandResult* result);
  // Exec with a terminal: `runc exec --detach --tty --console-socket` under RunDetachedExec,
  // relaying `streams` to the pty master runc hands over (tty_exec.h). Ends on cancellation.
  sdk::Status ExecWithTerminal(sdk::Call& call, std::string_view request_json,
                               const sdk::ExecStreams& streams, int32_t* exit_code);

  std::string state_dir_ = "/run/capstan/runc";
  std::string runc_path_ = "/usr/sbin/runc";
  std::string shim_path_;  // config "shimPath"; default: capstan-shim beside the plugin
  std::string cgroup_root_ = "capstan";

  mutable std::mutex mu_;  // guards the maps and the record files
  std::map<std::string, SandboxRecord> sandboxes_;
  std::map<std::string, ContainerRecord> containers_;
};

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_RUNC_RUNTIME_H_
