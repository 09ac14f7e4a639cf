/* Capstan plugin ABI, part 5 of 9: scheduling framework (CAPSTAN_KIND_SCHED).
 * The host runs the Kubernetes scheduling framework; a plugin implements any subset of its
 * extension points. Hot-path entries receive typed views of the pod and nodes, resolved once per
 * cycle; the full object JSON is available on demand through "capstan_host_sched_object_json_v1".
 *
 * Chain rules (host): QueueSort: exactly one plugin. PreFilter/Filter: AND-ed, the first non-OK
 * stops. PostFilter: in order until one nominates a node. Score: weighted sum of normalized
 * scores in [0, 100]. Reserve in order, Unreserve in reverse. Permit: any DENIED rejects, any WAIT
 * waits (the shortest timeout applies). Bind: the first plugin not returning SKIP binds.
 *
 * Threading: scheduling cycles run one at a time. Within a cycle, `on_filter` and `on_score`
 * are called concurrently for different nodes when the plugin declares CAPSTAN_CAP_THREAD_SAFE
 * (else serially). PreBind/Bind/PostBind run on binding threads, concurrently with the next
 * cycle's entries. Unreserve must be idempotent and never fail. Views and handles are host-owned
 * and valid for the call only unless stated otherwise. Conventions: common.h. */
#ifndef CAPSTAN_ABI_SCHED_H_
#define CAPSTAN_ABI_SCHED_H_

#include "capstan/abi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAPSTAN_SCHED_IFACE_MAJOR 1
#define CAPSTAN_SCHED_IFACE_MINOR 3

/* Opaque: the per-cycle state shared by plugins (Kubernetes' CycleState). */
typedef struct capstan_sched_cycle capstan_sched_cycle;
/* Opaque: a pod or node object; pass to "capstan_host_sched_object_json_v1". */
typedef struct capstan_sched_object capstan_sched_object;

typedef struct capstan_sched_label {
  capstan_host_str key;
  capstan_host_str value;
} capstan_sched_label;

/* An extended or hugepages resource by its Kubernetes name ("nvidia.com/gpu"). */
typedef struct capstan_sched_scalar {
  capstan_host_str name;
  int64_t value;
} capstan_sched_scalar;

/* A resource vector; cpu in millicores, memory and storage in bytes. */
typedef struct capstan_sched_resources {
  int64_t milli_cpu;
  int64_t memory;
  int64_t ephemeral_storage;
  int64_t pods;
  const capstan_sched_scalar* scalars;
  uint32_t scalar_count;
  uint32_t reserved0;
} capstan_sched_resources;

/* Taint effects and toleration operators. */
#define CAPSTAN_TAINT_NO_SCHEDULE 1
#define CAPSTAN_TAINT_PREFER_NO_SCHEDULE 2
#define CAPSTAN_TAINT_NO_EXECUTE 3
#define CAPSTAN_TOLERATION_EQUAL 1
#define CAPSTAN_TOLERATION_EXISTS 2

typedef struct capstan_sched_taint {
  capstan_host_str key;
  capstan_host_str value;
  uint32_t effect;
  uint32_t reserved0;
} capstan_sched_taint;

typedef struct capstan_sched_toleration {
  capstan_host_str key; /* {NULL,0} with EXISTS tolerates everything */
  capstan_host_str value;
  uint32_t op;
  uint32_t effect; /* 0 matches every effect */
  int64_t toleration_seconds;
  int32_t has_toleration_seconds;
  uint32_t reserved0;
} capstan_sched_toleration;

#define CAPSTAN_PROTOCOL_TCP 1
#define CAPSTAN_PROTOCOL_UDP 2
#define CAPSTAN_PROTOCOL_SCTP 3

typedef struct capstan_sched_host_port {
  capstan_host_str host_ip; /* {NULL,0} or "0.0.0.0" means every address */
  int32_t port;
  uint32_t protocol;
} capstan_sched_host_port;

/* The typed view of a pod. `requests` are effective requests: the larger of the sum of app
 * containers and the largest init container, plus pod overhead; `pods` is 1. */
typedef struct capstan_sched_pod_view {
  uint32_t struct_size;
  int32_t priority;
  capstan_host_str uid;
  capstan_host_str namespace_name;
  capstan_host_str name;
  capstan_host_str node_name;
  capstan_host_str nominated_node_name;
  capstan_host_str scheduler_name;
  int64_t creation_unix_ms;
  capstan_sched_resources requests;
  const capstan_sched_label* labels;
  uint32_t label_count;
  uint32_t node_selector_count;
  const capstan_sched_label* node_selector;
  const capstan_sched_toleration* tolerations;
  uint32_t toleration_count;
  uint32_t host_port_count;
  const capstan_sched_host_port* host_ports;
  const capstan_host_str* images;
  uint32_t image_count;
  uint32_t reserved0;
  capstan_sched_object* object;
  /* Since sched 1.1 (read only when `struct_size` covers it): CAPSTAN_SCHED_POD_* bits. */
  uint32_t flags;
  uint32_t reserved1;
} capstan_sched_pod_view;

/* Bits of capstan_sched_pod_view.flags. */
/* The pod has podAffinity or podAntiAffinity terms, required or preferred. */
#define CAPSTAN_SCHED_POD_HAS_AFFINITY 1u
/* The pod has requiredDuringSchedulingIgnoredDuringExecution podAntiAffinity terms. */
#define CAPSTAN_SCHED_POD_HAS_REQUIRED_ANTI_AFFINITY 2u

/* An image present on a node: its size and on how many nodes it is present. */
typedef struct capstan_sched_image {
  capstan_host_str name;
  int64_t size_bytes;
  int32_t node_count;
  uint32_t reserved0;
} capstan_sched_image;

/* The typed view of a node in this cycle's snapshot, including pods assumed on it. */
typedef struct capstan_sched_node_view {
  uint32_t struct_size;
  int32_t unschedulable;
  capstan_host_str name;
  const capstan_sched_label* labels;
  uint32_t label_count;
  uint32_t taint_count;
  const capstan_sched_taint* taints;
  capstan_sched_resources allocatable;
  /* Sum of the effective requests of pods on the node (incl. assumed and nominated). */
  capstan_sched_resources requested;
  const capstan_sched_host_port* used_host_ports;
  uint32_t used_host_port_count;
  uint32_t image_count;
  const capstan_sched_image* images;
  /* Index of this node in the cycle's snapshot; argument to "capstan_host_sched_node_pods_v1". */
  uint32_t index;
  uint32_t pod_count;
  capstan_sched_object* object;
} capstan_sched_node_view;

/* One node's score, written in place by NormalizeScore. */
typedef struct capstan_sched_node_score {
  capstan_host_str node_name;
  int64_t score;
} capstan_sched_node_score;

/* One node's Filter outcome, handed to PostFilter. */
typedef struct capstan_sched_node_status {
  capstan_host_str node_name;
  capstan_rc code;
  uint32_t reserved0;
  capstan_host_str reason;
} capstan_sched_node_status;

/* Scheduling host services (see common.h for lookup rules). */

/* "capstan_host_sched_object_json_v1": the object's JSON; host-owned, valid for the cycle. */
typedef capstan_rc (*capstan_host_sched_object_json_v1_fn)(capstan_host_ctx* ctx,
                                                           capstan_sched_object* object,
                                                           capstan_host_buf* out_json);
/* "capstan_host_sched_node_pods_v1": views of the pods on snapshot node `node_index`;
 * host-owned, valid for the cycle. Thread-safe. */
typedef capstan_rc (*capstan_host_sched_node_pods_v1_fn)(capstan_host_ctx* ctx,
                                                         capstan_sched_cycle* cycle,
                                                         uint32_t node_index,
                                                         const capstan_sched_pod_view** out_pods,
                                                         uint32_t* out_count);
/* "capstan_host_sched_cycle_write_v1" / "..._read_v1": per-cycle data under a key (by convention
 * the plugin's name). The host copies `value`; a read returns a host-owned buffer valid for the
 * cycle, or NOT_FOUND. Writes happen in PreFilter/PreScore; reads may be concurrent. */
typedef capstan_rc (*capstan_host_sched_cycle_write_v1_fn)(capstan_host_ctx* ctx,
                                                           capstan_sched_cycle* cycle,
                                                           capstan_host_str key,
                                                           capstan_host_buf value);
typedef capstan_rc (*capstan_host_sched_cycle_read_v1_fn)(capstan_host_ctx* ctx,
                                                          capstan_sched_cycle* cycle,
                                                          capstan_host_str key,
                                                          capstan_host_buf* out_value);

/* The extension points. Every entry is optional; NULL means the plugin does not take part. For
 * entries returning capstan_rc: OK passes; ERROR fails the cycle (pod requeued with backoff);
 * the reason for UNSCHEDULABLE/UNRESOLVABLE/DENIED goes to `call->error_buf` and appears in the
 * pod's FailedScheduling event ("1 node(s) had untolerated taint {...}"). */
typedef struct capstan_sched_v1 {
  uint32_t struct_size;
  uint32_t reserved0;

  /* QueueSort: nonzero when `a` should be scheduled before `b`. Pure and fast; no call context. */
  int32_t (*on_queue_less)(capstan_plugin_state* state, const capstan_sched_pod_view* a,
                           const capstan_sched_pod_view* b);

  /* PreFilter: OK; or SKIP to skip this plugin's Filter; or UNSCHEDULABLE/UNRESOLVABLE to
   * reject the pod on every node. May restrict the nodes considered by writing a JSON array of
   * node names to `*out_node_names` ({NULL,0}: all nodes). */
  capstan_rc (*on_pre_filter)(capstan_plugin_state* state, capstan_call* call,
                              capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                              capstan_plugin_buf* out_node_names);
  /* Filter: OK when the pod fits `node`, else UNSCHEDULABLE or UNRESOLVABLE with a reason. */
  capstan_rc (*on_filter)(capstan_plugin_state* state, capstan_call* call,
                          capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                          const capstan_sched_node_view* node);
  /* PostFilter (runs only when no node fits): OK after making room, writing the nominated node
   * name to `*out_nominated_node`; UNSCHEDULABLE when it cannot help. */
  capstan_rc (*on_post_filter)(capstan_plugin_state* state, capstan_call* call,
                               capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                               const capstan_sched_node_status* statuses, uint32_t status_count,
                               capstan_plugin_buf* out_nominated_node);
  /* PreScore over the feasible nodes: OK, or SKIP to skip this plugin's Score. */
  capstan_rc (*on_pre_score)(capstan_plugin_state* state, capstan_call* call,
                             capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                             const capstan_sched_node_view* const* nodes, uint32_t node_count);
  /* Score: writes a raw score to `*out_score` (in [0, 100] unless NormalizeScore maps it). */
  capstan_rc (*on_score)(capstan_plugin_state* state, capstan_call* call,
                         capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                         const capstan_sched_node_view* node, int64_t* out_score);
  /* NormalizeScore: rewrites `scores` (host-owned, writable for the call) into [0, 100]. */
  capstan_rc (*on_normalize_score)(capstan_plugin_state* state, capstan_call* call,
                                   capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                                   capstan_sched_node_score* scores, uint32_t score_count);
  /* Reserve: claim resources on `node_name` for the pod; a non-OK code unreserves and retries. */
  capstan_rc (*on_reserve)(capstan_plugin_state* state, capstan_call* call,
                           capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                           capstan_host_str node_name);
  /* Unreserve: undo Reserve. Idempotent; cannot fail. */
  void (*on_unreserve)(capstan_plugin_state* state, capstan_call* call, capstan_sched_cycle* cycle,
                       const capstan_sched_pod_view* pod, capstan_host_str node_name);
  /* Permit: OK allows; DENIED rejects; WAIT holds the pod up to `*out_wait_ms`. */
  capstan_rc (*on_permit)(capstan_plugin_state* state, capstan_call* call,
                          capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                          capstan_host_str node_name, uint64_t* out_wait_ms);
  /* PreBind: prepare the node (e.g. attach volumes); non-OK aborts the binding. */
  capstan_rc (*on_pre_bind)(capstan_plugin_state* state, capstan_call* call,
                            capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                            capstan_host_str node_name);
  /* Bind: OK when bound; SKIP lets the next binder try; ERROR aborts. */
  capstan_rc (*on_bind)(capstan_plugin_state* state, capstan_call* call, capstan_sched_cycle* cycle,
                        const capstan_sched_pod_view* pod, capstan_host_str node_name);
  /* PostBind: informational, after a successful bind. */
  void (*on_post_bind)(capstan_plugin_state* state, capstan_call* call, capstan_sched_cycle* cycle,
                       const capstan_sched_pod_view* pod, capstan_host_str node_name);

  /* Since sched 1.3 (read only when `struct_size` covers it). Score for many nodes in one call:
   * writes the raw score of `nodes[i]` to `out_scores[i]` for every i < `node_count`. When set,
   * the host calls it instead of `on_score`, with disjoint slices of the feasible nodes (several
   * at once from different threads when the plugin declares CAPSTAN_CAP_THREAD_SAFE), so one
   * crossing of the ABI serves dozens of nodes. A non-OK code fails the cycle as `on_score`
   * would (for a plugin configured to ignore errors, the slice scores 0). */
  capstan_rc (*on_score_nodes)(capstan_plugin_state* state, capstan_call* call,
                               capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                               const capstan_sched_node_view* const* nodes, uint32_t node_count,
                               int64_t* out_scores);
} capstan_sched_v1;

/* "capstan_host_sched_node_view_v1": the view of node `node_index` of the cycle's snapshot
 * (host-owned, valid for the cycle), for plugins that look at every node in PreFilter/PreScore
 * (topology spread, inter-pod affinity, preemption). NOT_FOUND when `node_index` is at or past
 * the snapshot's node count; UNAVAILABLE outside a scheduling cycle. Thread-safe. */
typedef capstan_rc (*capstan_host_sched_node_view_v1_fn)(capstan_host_ctx* ctx,
                                                         capstan_sched_cycle* cycle,
                                                         uint32_t node_index,
                                                         const capstan_sched_node_view** out_node);

/* "capstan_host_sched_affinity_nodes_v1" (sched 1.1): the ascending indices of the cycle's
 * snapshot nodes that hold at least one pod whose `flags` share a bit with `pod_flags`
 * (host-owned, valid for the cycle), so inter-pod affinity visits only those nodes instead of
 * all. INVALID for bits other than CAPSTAN_SCHED_POD_*; UNAVAILABLE outside a scheduling cycle.
 * Thread-safe. */
typedef capstan_rc (*capstan_host_sched_affinity_nodes_v1_fn)(capstan_host_ctx* ctx,
                                                              capstan_sched_cycle* cycle,
                                                              uint32_t pod_flags,
                                                              const uint32_t** out_indices,
                                                              uint32_t* out_count);

/* "capstan_host_sched_changed_nodes_v1" (sched 1.2): which nodes of the cycle's snapshot changed
 * (pods added, updated or removed, assumed or forgotten; node labels or other fields) since the
 * snapshot a plugin saw when it was handed `since`, so a plugin can keep per-node state across
 * cycles and revisit only those nodes. Writes this snapshot's token to `*out_token` (never 0; pass
 * it as `since` next time). With `*out_full` = 0, `*out_indices` holds the `*out_count` ascending
 * indices of the changed nodes (host-owned, valid until this thread's next call of this service
 * and at most for the cycle). With `*out_full` = 1 the host cannot tell (`since` is 0, comes from
 * another snapshot or is too old, or nodes were added or removed, which moves indices): the
 * plugin must treat every node as changed and drop per-index state (`*out_indices` NULL,
 * `*out_count` 0). UNAVAILABLE outside a scheduling cycle. Thread-safe. */
typedef capstan_rc (*capstan_host_sched_changed_nodes_v1_fn)(
    capstan_host_ctx* ctx, capstan_sched_cycle* cycle, uint64_t since, uint64_t* out_token,
    int32_t* out_full, const uint32_t** out_indices, uint32_t* out_count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAPSTAN_ABI_SCHED_H_ */
