// Runtime plugin `fake`: simulated pod sandboxes and containers (CRI states, no processes) for
// hollow nodes in scale tests — configurable start latency, per-image exit behaviour and pod IPs
// from a CIDR. Exported by plugin.cc; tested in fake_runtime_test.cc beside it.
#ifndef CAPSTAN_PLUGINS_RUNTIME_FAKE_FAKE_RUNTIME_H_
#define CAPSTAN_PLUGINS_RUNTIME_FAKE_FAKE_RUNTIME_H_

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

namespace capstan::plugins::fake_runtime {

inline constexpr char kFakeRuntimeName[] = "fake";
inline constexpr char kFakeRuntimeVersion[] = "0.1.0";
inline constexpr char kFakeRuntimeDescription[] =
    "Simulated containers with configurable start latency and exit behaviour (hollow nodes)";
// Pod annotations (seen as sandbox annotations) that set the simulated usage of each of the
// pod's running containers: a CPU rate in millicores, integrated since the container started,
// and a constant memory working set in bytes. Absent or not a decimal number: 0.
inline constexpr char kCpuMillicoresAnnotation[] = "fake.capstan.io/cpu-millicores";
inline constexpr char kMemoryBytesAnnotation[] = "fake.capstan.io/memory-bytes";
inline constexpr char kFakeRuntimeSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "maxSandboxes": {"type": "integer", "minimum": 1},
    "podCidr": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+\\.0/24$"},
    "startLatencyMs": {"type": "integer", "minimum": 0, "maximum": 60000},
    "netnsDir": {"type": "string"},
    "exitRules": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["imageContains"],
        "properties": {
          "imageContains": {"type": "string", "minLength": 1},
          "afterMs": {"type": "integer", "minimum": 0},
          "exitCode": {"type": "integer", "minimum": 0, "maximum": 255}
        }
      }
    }
  }
})";

// Sandboxes go READY -> NOTREADY (stop) -> removed; containers CREATED -> RUNNING -> EXITED ->
// removed. Stop and remove succeed on absent IDs, as CRI requires. StartContainer takes
// `startLatencyMs` (returning early, DEADLINE_EXCEEDED, when the call is cancelled). A running
// container whose image contains an exit rule's `imageContains` (first match wins) reads as
// EXITED with the rule's `exitCode` once `afterMs` have passed since it started. Default rules:
// "exit-0" exits 0 and "crash" exits 1, both after 100 ms. Each sandbox gets the next address
// of `podCidr` (default 10.244.0.0/24, .2 to .254, reused after removal). ContainerStatus
// echoes the CreateContainer `config` as `info.config` (agent tests check envs and mounts).
// With `netnsDir`, PodSandboxStatus reports `info.netnsPath` = <netnsDir>/<sandbox id> (a name
// only; no namespace exists) unless the sandbox asked for the host network.
// Thread-safe: one mutex guards all state; the start latency is waited outside it.
// Writes all of `data` to `fd` (nothing for fd -1); false when the descriptor fails.
bool WriteAll(int fd, std::string_view data);

class FakeRuntime final : public sdk::RuntimePlugin {
 public:
  // INVALID when the config is not a JSON object or `podCidr` is not an a.b.c.0/24.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // RETRY_LATER when `maxSandboxes` exist or the CIDR is exhausted; INVALID without
  // config.metadata.name.
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
  // INVALID unless the container is CREATED. Waits `startLatencyMs` first.
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
  // Runs nothing; the command decides: ["fake-exit", "<code>", "<output>"] exits with <code>
  // printing <output>; ["fake-file-exists", "<host path>"] exits 0 when the file exists on the
  // host, else 1 (so a test toggles probes by touching a file); anything else exits 0.
  // NOT_FOUND for an unknown container; INVALID unless it is running.
  sdk::Status ExecSync(sdk::Call& call, std::string_view request_json,
                       std::string* response_json) override;
  // Simulates a few commands on the given descriptors (fake_exec.cc), deterministically, so
  // exec sessions can be tested without processes: `echo ARGS...` (stdout), `cat` (stdin to
  // stdout until EOF), `sh -c 'exit N'` (exit code N), `fake-stderr TEXT` (TEXT on stderr, or
  // stdout with a terminal), `fake-exit N [TEXT]`, `fake-terminal-size` (the first line of
  // `resize_fd` as "size COLUMNS ROWS"); anything else prints "<cmd>: not found" on stderr and
  // exits 127. NOT_FOUND for an unknown container; INVALID unless it is running;
  // DEADLINE_EXCEEDED when cancelled while `cat` or `fake-terminal-size` waits.
  sdk::Status Exec(sdk::Call& call, std::string_view request_json, const sdk::ExecStreams& streams,
                   int32_t* exit_code) override;
  // A container created with config.stdin behaves as `cat` (fake_attach.cc): what an attach
  // sends to its stdin appears in its CRI log as stdout records, until stdin's EOF, the
  // container stopping, or cancellation (DEADLINE_EXCEEDED). With config.stdinOnce and no tty,
  // the end of the attach is EOF on its stdin: the container exits 0, as `cat` would. INVALID
  // when it was created without stdin, is not running, or a stdinOnce container's stdin is
  // already closed; NOT_FOUND for an unknown container.
  sdk::Status Attach(sdk::Call& call, std::string_view request_json,
                     const sdk::ExecStreams& streams) override;
  // Running containers only (filters: id, podSandboxId), with usage from the sandbox's
  // `kCpuMillicoresAnnotation` / `kMemoryBytesAnnotation` (fake_stats.cc) and config.labels.
  sdk::Status ListContainerStats(sdk::Call& call, std::string_view request_json,
                                 std::string* response_json) override;

 private:
  struct ExitRule {
    std::string image_contains;
    int64_t after_ms = 100;
    int32_t exit_code = 0;
  };
  struct Sandbox {
    sdk::json::Json metadata;
    sdk::json::Json labels;
    sdk::json::Json annotations;
    bool ready = true;
    int64_t created_at = 0;
    int ip_host = 0;  // last octet within `podCidr`
    bool host_network = false;
    std::string log_directory;  // config.logDirectory: containers' logPath is relative to it
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
    sdk::json::Json config;     // as CreateContainer received it
    std::string log_file;       // <sandbox logDirectory>/<logPath>; empty without either
    bool stdin_closed = false;  // a stdinOnce container's attach has ended
  };

  sdk::json::Json SandboxJson(const std::string& id, const Sandbox& s) const;
  sdk::json::Json ContainerJson(const std::string& id, const Container& c) const;
  void StopLocked(Container* c);
  // Applies the exit rules: a running container past its rule's delay becomes EXITED.
  void AdvanceLocked(Container* c, int64_t now_ns) const;
  std::string PodIp(int host) const;
  // Creates `path` (and its directory) if absent, empty; failures are ignored (no log to read).
  static void CreateLogFile(const std::string& path);
  // Wall-clock nanoseconds, the unit of CRI timestamps.
  static int64_t NowNs();

  int64_t max_sandboxes_ = 1000;
  std::string cidr_prefix_ = "10.244.0.";  // the /24 without its last octet
  int64_t start_latency_ms_ = 0;
  std::string netns_dir_;  // when set, PodSandboxStatus reports info.netnsPath below it
  std::vector<ExitRule> exit_rules_;

  std::mutex mu_;  // guards everything below
  uint64_t next_id_ = 1;
  std::map<std::string, Sandbox> sandboxes_;
  std::map<std::string, Container> containers_;
  std::vector<bool> ip_used_ = std::vector<bool>(256, false);
};

}  // namespace capstan::plugins::fake_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_FAKE_FAKE_RUNTIME_H_
