/* Capstan plugin ABI, part 9 of 9: container runtime (CAPSTAN_KIND_RUNTIME), shaped after the
 * CRI RuntimeService: a pod sandbox holds the shared namespaces; containers run inside it.
 * Requests and responses are JSON documents named after CRI messages, in lowerCamelCase
 * ("podSandboxId", "config", "logPath"...). Logs are files the runtime writes at the
 * `logPath` the host gives, in the CRI log format; the host reads them itself.
 * Threading: calls for different sandboxes may run concurrently when the plugin declares
 * CAPSTAN_CAP_THREAD_SAFE; calls for one sandbox and its containers are serialized by the host,
 * except `on_exec` and `on_attach`, which may run concurrently with anything. Every entry is
 * optional (NULL is UNIMPLEMENTED) except the sandbox and container lifecycle. Conventions:
 * common.h. */
#ifndef CAPSTAN_ABI_RUNTIME_H_
#define CAPSTAN_ABI_RUNTIME_H_

#include "capstan/abi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAPSTAN_RUNTIME_IFACE_MAJOR 1
#define CAPSTAN_RUNTIME_IFACE_MINOR 3

/* One runtime call: `request_json` in, `*out_response_json` out. NOT_FOUND for unknown IDs
 * (except on stop/remove, which succeed on absent objects). */
typedef capstan_rc (*capstan_runtime_rpc_fn)(capstan_plugin_state* state, capstan_call* call,
                                             capstan_host_buf request_json,
                                             capstan_plugin_buf* out_response_json);

/* Standard streams of an exec session: file descriptors owned by the host, valid for the call;
 * -1 when the stream is not attached. */
typedef struct capstan_runtime_streams {
  uint32_t struct_size;
  int32_t stdin_fd;
  int32_t stdout_fd;
  int32_t stderr_fd;
  /* 1 when a terminal was requested; stdout carries both streams then. */
  int32_t tty;
  uint32_t reserved0;
  /* Minor 2, with `tty`: the read end of a pipe (host-owned, valid for the call) on which the
   * host writes every terminal size the client reports, as a text line "<columns> <rows>\n";
   * -1 when there is none. A plugin that honours it gives the command a terminal of its own,
   * copies stdin to that terminal and the terminal to stdout, and applies each size to it (on
   * Linux TIOCSWINSZ); the host then passes pipes, not a terminal, as stdin and stdout. A
   * reader treats the field as -1 when `struct_size` does not cover it. */
  int32_t resize_fd;
  uint32_t reserved1;
} capstan_runtime_streams;

typedef struct capstan_runtime_v1 {
  uint32_t struct_size;
  uint32_t reserved0;
  /* Required: RunPodSandbox -> {"podSandboxId"}, StopPodSandbox, RemovePodSandbox,
   * PodSandboxStatus -> {"status": {...}}. */
  capstan_runtime_rpc_fn on_run_pod_sandbox;
  capstan_runtime_rpc_fn on_stop_pod_sandbox;
  capstan_runtime_rpc_fn on_remove_pod_sandbox;
  capstan_runtime_rpc_fn on_pod_sandbox_status;
  /* Required: CreateContainer -> {"containerId"}, StartContainer, StopContainer (with
   * "timeout" seconds before SIGKILL), RemoveContainer, ContainerStatus -> {"status": {...}}. */
  capstan_runtime_rpc_fn on_create_container;
  capstan_runtime_rpc_fn on_start_container;
  capstan_runtime_rpc_fn on_stop_container;
  capstan_runtime_rpc_fn on_remove_container;
  capstan_runtime_rpc_fn on_container_status;
  /* Optional: ListPodSandbox / ListContainers with CRI filters (used to adopt on restart). */
  capstan_runtime_rpc_fn on_list_pod_sandboxes;
  capstan_runtime_rpc_fn on_list_containers;
  /* Optional: ExecSync -> {"exitCode", "stdout", "stderr"} (base64), for probes. */
  capstan_runtime_rpc_fn on_exec_sync;
  /* Optional: ReopenContainerLog, after the host rotated the log file. */
  capstan_runtime_rpc_fn on_reopen_container_log;
  /* Optional: runs {"containerId","cmd":[...]} attached to `streams` until it exits; writes the
   * exit code to `*out_exit_code`. Cancellation ends it (DEADLINE_EXCEEDED). */
  capstan_rc (*on_exec)(capstan_plugin_state* state, capstan_call* call,
                        capstan_host_buf request_json, const capstan_runtime_streams* streams,
                        int32_t* out_exit_code);
  /* Optional: UpdateContainerResources. */
  capstan_runtime_rpc_fn on_update_container_resources;
  /* Optional (minor 1): ListContainerStats, for the agent's /metrics/resource. Request
   * {"filter": {"id", "podSandboxId", "labelSelector": {...}}} (every member optional; {} lists
   * every running container). Response {"stats": [{"attributes": {"id", "metadata": {"name"},
   * "labels": {...}}, "cpu": {"timestamp": <ns>, "usageCoreNanoSeconds": {"value": N}},
   * "memory": {"timestamp": <ns>, "workingSetBytes": {"value": N}}}]}: cumulative CPU time of
   * the container since it started and its memory working set (usage minus inactive file
   * pages, as the kubelet computes it); "labels" echoes CreateContainer's config.labels.
   * Numbers may be JSON numbers or proto3 int64 strings. A container whose figures cannot be
   * read is left out. Hosts read a plugin built against minor 0 (smaller struct_size) as NULL:
   * no container metrics. */
  capstan_runtime_rpc_fn on_list_container_stats;
  /* Optional (minor 3): attaches to the stdin of the running container {"containerId"}, as CRI
   * Attach does for a container created with "stdin": true (and "stdinOnce", "tty"). Copies
   * `streams->stdin_fd` to the container's stdin and, for a container with a terminal, applies
   * the sizes read from `streams->resize_fd` (lines as for `on_exec`) to that terminal, until
   * stdin_fd reaches EOF, the container stops taking stdin (it exited, or "stdinOnce" and a
   * previous attach ended), or the call is cancelled (DEADLINE_EXCEEDED). The output is not
   * passed: the host follows the container's log (stdout_fd and stderr_fd are -1). When an
   * attach ends, a container with "stdinOnce" and without "tty" sees EOF on its stdin, as with
   * containerd. INVALID when the container was created without stdin or is not running,
   * NOT_FOUND for an unknown container. Hosts read a plugin built against an older minor
   * (smaller struct_size) as NULL: attach shows the output only. */
  capstan_rc (*on_attach)(capstan_plugin_state* state, capstan_call* call,
                          capstan_host_buf request_json, const capstan_runtime_streams* streams);
} capstan_runtime_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAPSTAN_ABI_RUNTIME_H_ */
