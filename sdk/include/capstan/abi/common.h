/* Capstan plugin ABI, part 1 of 9: conventions, versions, return codes, buffers, the call
 * context, the plugin descriptor with its single entry symbol, and the host-services table.
 * The per-kind headers (authn.h, authz.h, admission.h, sched.h, controller.h, cni.h, csi.h,
 * runtime.h) build on this one; capstan/abi/abi.h includes them all.
 *
 * CONVENTIONS (numbered; every declaration below follows them)
 *
 *  1. Pure C11. No C++ types, no `bool`, no enums as field types (enum values are `#define`d and
 *     stored in fixed-width integers), no bit-fields. Compiles as C and as C++.
 *
 *  2. One exported symbol per plugin `.so`: `capstan_plugin_entry` (CAPSTAN_ENTRY_SYMBOL). It
 *     returns a pointer to a static, immutable `capstan_plugin_descriptor` that lives as long as
 *     the process (libraries are never unloaded). All other plugin functions are reached through
 *     function pointers in that descriptor.
 *
 *  3. Versions. The ABI has a major and a minor (CAPSTAN_ABI_MAJOR/MINOR); each plugin kind has
 *     its own interface major/minor. The host accepts a plugin when majors are equal and the
 *     host's minor is >= the plugin's, for the ABI and for every kind the plugin implements.
 *     A change of meaning (threading, ownership, idempotency) is a major bump.
 *
 *  4. Growth is by appending only. Every struct that crosses the boundary begins with
 *     `uint32_t struct_size` (= sizeof as the writer compiled it). A reader never touches a field
 *     that starts at or beyond `struct_size`; such a field reads as zero / NULL, and a NULL
 *     function pointer means "not implemented" (CAPSTAN_RC_UNIMPLEMENTED). Fields are never
 *     removed, reordered or retyped; CI compares the headers against a committed baseline.
 *
 *  5. Ownership is in the type name. `capstan_host_*` buffers and handles are owned by the host
 *     and borrowed by the plugin for the duration of the call that passed them, unless the entry
 *     says otherwise. `capstan_plugin_*` buffers are owned by the plugin and stay valid until the
 *     plugin's next call on the same instance from the same host thread, or until the instance
 *     is destroyed; the host copies what it keeps. Strings are (pointer, length) UTF-8 views and
 *     are NOT NUL-terminated unless an entry says so. Nobody frees memory the other side owns.
 *
 *  6. No host pointers leak. The host hands out only byte buffers, plain-data views and opaque
 *     handles that are meaningful solely as arguments to host functions; the plugin must not
 *     dereference a handle. This keeps the ABI remotable: the same `.so` can run in a separate
 *     plugin-host process behind a proxy of this very interface.
 *
 *  7. Return codes say what the caller must do (see CAPSTAN_RC_*). Human-readable detail goes
 *     into the per-call error buffer of `capstan_call` (host-owned), never into globals, so
 *     concurrent calls do not race on error text.
 *
 *  8. Threading. The host owns all threads. A plugin that sets CAPSTAN_CAP_THREAD_SAFE may be
 *     called concurrently on one instance; without it the host serializes all calls on an
 *     instance. Each kind header states which calls may run concurrently and on which thread.
 *     A plugin must not create threads in `on_init`; it posts work through the host-services
 *     "post" entry instead. A plugin must not call back into a host function that dispatched
 *     into it synchronously unless that host function is documented as reentrant.
 *
 *  9. Configuration is one UTF-8 JSON document. The descriptor carries the JSON Schema it must
 *     satisfy; the host validates the operator's config against it before `on_init` and refuses
 *     to load on a mismatch. Order, weights, failure policy and timeouts of chains are host
 *     configuration and never reach the plugin.
 *
 * 10. Every plugin entry must return; it must not throw, longjmp or abort on bad input. The C++
 *     SDK wraps each entry in a catch-all that maps exceptions to CAPSTAN_RC_ERROR.
 */
#ifndef CAPSTAN_ABI_COMMON_H_
#define CAPSTAN_ABI_COMMON_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions -------------------------------------------------------------------------- */

#define CAPSTAN_ABI_MAJOR 1
#define CAPSTAN_ABI_MINOR 0

#define CAPSTAN_ENTRY_SYMBOL "capstan_plugin_entry"

/* ---- Return codes ---------------------------------------------------------------------- */
/* `capstan_rc` values. What the caller must do is stated for each. */
typedef int32_t capstan_rc;

/* Success; use the outputs. */
#define CAPSTAN_RC_OK 0
/* The plugin failed (bug, I/O, unexpected state). Caller applies the chain's failure policy
 * (Fail: the whole operation fails; Ignore: continue as if the plugin were absent). */
#define CAPSTAN_RC_ERROR 1
/* The input is malformed or violates the plugin's rules; do not retry the same input. For
 * admission this rejects the request with 422/400. */
#define CAPSTAN_RC_INVALID 2
/* Policy decision "no": authz deny, admission deny, authn with bad credentials. Final. */
#define CAPSTAN_RC_DENIED 3
/* Scheduler: the pod does not fit this node now; another node or later may do. */
#define CAPSTAN_RC_UNSCHEDULABLE 4
/* Scheduler: the pod cannot fit this node and preemption would not help. */
#define CAPSTAN_RC_UNRESOLVABLE 5
/* No opinion / not applicable: the caller moves on to the next plugin in the chain (authn: these
 * credentials are not mine; authz: no opinion; scheduler: skip the coupled Filter/Score). */
#define CAPSTAN_RC_SKIP 6
/* Scheduler Permit: hold the pod; the wait time is in the out-parameter. */
#define CAPSTAN_RC_WAIT 7
/* Transient; retry the same call later (with backoff). `retry_after_ms` in capstan_call may be
 * set by the plugin as a hint. */
#define CAPSTAN_RC_RETRY_LATER 8
/* A dependency of the plugin is unavailable (device, daemon, network); retry later, and report
 * the plugin as not ready. */
#define CAPSTAN_RC_UNAVAILABLE 9
/* The operation is not implemented by this plugin; do not retry. Equivalent to a NULL entry. */
#define CAPSTAN_RC_UNIMPLEMENTED 10
/* The named object does not exist (CSI/runtime: volume, container, sandbox). */
#define CAPSTAN_RC_NOT_FOUND 11
/* The object exists already with different parameters (CSI create, runtime create). */
#define CAPSTAN_RC_ALREADY_EXISTS 12
/* The call's deadline passed or it was cancelled; the plugin stopped early. */
#define CAPSTAN_RC_DEADLINE_EXCEEDED 13
/* First code that a plugin may define for itself; the host treats unknown codes as ERROR. */
#define CAPSTAN_RC_PLUGIN_DEFINED 100

/* ---- Buffers and strings --------------------------------------------------------------- */

/* Bytes owned by the host, borrowed by the plugin for the call (convention 5). */
typedef struct capstan_host_buf {
  const uint8_t* data;
  size_t len;
} capstan_host_buf;

/* Bytes owned by the plugin, valid until its next call on the same instance from the same thread
 * (convention 5). The plugin writes one into an out-parameter; {NULL, 0} means "empty". */
typedef struct capstan_plugin_buf {
  const uint8_t* data;
  size_t len;
} capstan_plugin_buf;

/* A UTF-8 string view owned by the host, borrowed for the call; not NUL-terminated. */
typedef struct capstan_host_str {
  const char* data;
  size_t len;
} capstan_host_str;

/* ---- Opaque handles -------------------------------------------------------------------- */

/* Plugin-owned state returned by `on_init`; the host passes it back on every call. */
typedef struct capstan_plugin_state capstan_plugin_state;
/* Host-owned context of a plugin instance; argument to host-service functions. */
typedef struct capstan_host_ctx capstan_host_ctx;
/* Host-owned handle of one call (deadline, cancellation); argument to host-service functions. */
typedef struct capstan_host_call_handle capstan_host_call_handle;

/* ---- The per-call context -------------------------------------------------------------- */

/* Passed (host-owned, borrowed) to every plugin call except descriptor access.
 * The plugin may write NUL-terminated text of at most `error_cap - 1` bytes into `error_buf`
 * to explain a non-OK return code; the host reads it only when the code is not CAPSTAN_RC_OK.
 * `error_buf` is never NULL and `error_cap` is at least 256. */
typedef struct capstan_call {
  uint32_t struct_size;
  uint32_t reserved0;
  /* Absolute deadline on CLOCK_MONOTONIC in nanoseconds; 0 means none. A plugin should stop and
   * return CAPSTAN_RC_DEADLINE_EXCEEDED once it passes. */
  int64_t deadline_mono_ns;
  char* error_buf;
  uint32_t error_cap;
  /* Out: with CAPSTAN_RC_RETRY_LATER / UNAVAILABLE, an optional retry hint in milliseconds. */
  uint32_t retry_after_ms;
  /* For the host-services "call_cancelled" entry. */
  capstan_host_call_handle* handle;
} capstan_call;

/* ---- Host services --------------------------------------------------------------------- */

/* The host-services table is given to `on_init` (host-owned; valid until `on_destroy` returns).
 * Services are looked up by name with `get_proc`, which returns NULL when the host lacks one;
 * a plugin must degrade gracefully on NULL. Cast the result to the typedef named like the
 * service (e.g. "capstan_host_log_v1" -> capstan_host_log_v1_fn). Look services up once, in
 * `on_init`. Names end in a version; a changed signature gets a new name. */
typedef void (*capstan_host_proc)(void);

typedef struct capstan_host {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  capstan_host_ctx* ctx;
  /* Thread-safe. `name` is NUL-terminated. */
  capstan_host_proc (*get_proc)(capstan_host_ctx* ctx, const char* name);
} capstan_host;

/* Log levels for "capstan_host_log_v1". */
#define CAPSTAN_LOG_DEBUG 0
#define CAPSTAN_LOG_INFO 1
#define CAPSTAN_LOG_WARN 2
#define CAPSTAN_LOG_ERROR 3

/* "capstan_host_log_v1": structured log line tagged with the plugin instance. Thread-safe,
 * reentrant. `fields_json` is a JSON object of extra fields, or {NULL,0}. */
typedef void (*capstan_host_log_v1_fn)(capstan_host_ctx* ctx, int32_t level, capstan_host_str msg,
                                       capstan_host_str fields_json);

/* Metric types for "capstan_host_metric_define_v1". */
#define CAPSTAN_METRIC_COUNTER 0
#define CAPSTAN_METRIC_GAUGE 1
#define CAPSTAN_METRIC_HISTOGRAM 2

/* "capstan_host_metric_define_v1": defines a metric, only during `on_init`. Writes its id to
 * `*out_id`. The host prefixes the name with the plugin's; `name` is [a-z_][a-z0-9_]*.
 * Returns OK, INVALID (bad name/type, duplicate) or UNAVAILABLE (called after init). */
typedef capstan_rc (*capstan_host_metric_define_v1_fn)(capstan_host_ctx* ctx, capstan_host_str name,
                                                       capstan_host_str help, int32_t type,
                                                       uint32_t* out_id);
/* "capstan_host_metric_record_v1": counter += value, gauge = value, histogram observes value.
 * Thread-safe, reentrant, lock-free on the host side. Unknown ids are ignored. */
typedef void (*capstan_host_metric_record_v1_fn)(capstan_host_ctx* ctx, uint32_t id, double value);

/* "capstan_host_call_cancelled_v1": 1 when the call was cancelled or its deadline passed. */
typedef int32_t (*capstan_host_call_cancelled_v1_fn)(capstan_host_call_handle* call);

/* "capstan_host_post_v1": runs `fn(arg)` later on a host-owned thread. Thread-safe. The host
 * runs or drops every posted task before `on_destroy` is called. Returns OK or UNAVAILABLE
 * (host shutting down; `fn` will not run). */
typedef void (*capstan_plugin_task_fn)(void* arg);
typedef capstan_rc (*capstan_host_post_v1_fn)(capstan_host_ctx* ctx, capstan_plugin_task_fn fn,
                                              void* arg, uint64_t delay_ms);

/* Object access. Kinds are addressed as "group/version/resource" ("/v1/pods" for core, as in
 * "apps/v1/deployments"); keys as "namespace/name" or "name" for cluster-scoped objects.
 * The callee writes the result into a host-owned output that stays valid until the next call of
 * any object-access service on the same thread (host_out rule); copy what you keep. */

/* "capstan_host_cache_get_v1": one object from the host's informer cache as Kubernetes JSON.
 * Returns OK, NOT_FOUND, or UNAVAILABLE (kind not cached for this plugin). Thread-safe. */
typedef capstan_rc (*capstan_host_cache_get_v1_fn)(capstan_host_ctx* ctx, capstan_host_str resource,
                                                   capstan_host_str key,
                                                   capstan_host_buf* out_json);
/* "capstan_host_cache_list_v1": a JSON array of objects of `resource` in `ns` ({NULL,0}: all)
 * matching `label_selector` (Kubernetes syntax; {NULL,0}: everything). Thread-safe. */
typedef capstan_rc (*capstan_host_cache_list_v1_fn)(capstan_host_ctx* ctx,
                                                    capstan_host_str resource, capstan_host_str ns,
                                                    capstan_host_str label_selector,
                                                    capstan_host_buf* out_json);
/* "capstan_host_api_request_v1": a request to the API server as the plugin's identity. `method`
 * is an HTTP verb, `path` an API path with query ("/api/v1/namespaces/a/pods?limit=5"),
 * `content_type` the body's media type (JSON, merge-patch, JSON-patch, apply) or {NULL,0}.
 * Writes the HTTP status to `*out_http_status` and the response body to `*out_body`.
 * Returns OK when a response arrived (whatever its status), UNAVAILABLE or DEADLINE_EXCEEDED
 * otherwise. Blocking; never call from a scheduler hot-path entry. */
typedef capstan_rc (*capstan_host_api_request_v1_fn)(capstan_host_ctx* ctx, capstan_call* call,
                                                     capstan_host_str method, capstan_host_str path,
                                                     capstan_host_str content_type,
                                                     capstan_host_buf body,
                                                     int32_t* out_http_status,
                                                     capstan_host_buf* out_body);

/* ---- The descriptor -------------------------------------------------------------------- */

/* Plugin kinds. A plugin may implement several. */
#define CAPSTAN_KIND_AUTHN 1
#define CAPSTAN_KIND_AUTHZ 2
#define CAPSTAN_KIND_ADMISSION 3
#define CAPSTAN_KIND_SCHED 4
#define CAPSTAN_KIND_CONTROLLER 5
#define CAPSTAN_KIND_CNI 6
#define CAPSTAN_KIND_CSI 7
#define CAPSTAN_KIND_RUNTIME 8

/* Capability flags (`capstan_plugin_descriptor.capabilities`). */
/* Calls on one instance may run concurrently (convention 8). */
#define CAPSTAN_CAP_THREAD_SAFE (1ull << 0)
/* The library may be initialized several times (several chain entries with their own config). */
#define CAPSTAN_CAP_MULTI_INSTANCE (1ull << 1)

/* One implemented kind: its interface version and its function table. `vtable` points to the
 * kind's table (e.g. `capstan_authn_v1`), which begins with `struct_size` (convention 4). */
typedef struct capstan_kind_descriptor {
  uint32_t struct_size;
  uint32_t kind;
  uint16_t iface_major;
  uint16_t iface_minor;
  uint32_t reserved0;
  const void* vtable;
} capstan_kind_descriptor;

/* Static, immutable, plugin-owned for the life of the process. Strings are NUL-terminated. */
typedef struct capstan_plugin_descriptor {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  /* Required, [a-z0-9][a-z0-9._-]*, unique among loaded plugins, e.g. "csi-hostpath". */
  const char* name;
  /* Required, semantic version of the plugin itself, e.g. "1.4.2". */
  const char* version;
  /* Optional, one line. */
  const char* description;
  /* Optional JSON Schema (draft 7) of the configuration; NULL accepts any JSON object. */
  const char* config_schema;
  uint64_t capabilities;
  uint32_t kind_count;
  uint32_t reserved0;
  const capstan_kind_descriptor* kinds;

  /* Required. Creates one instance from `config_json` (already schema-valid; "{}" when the
   * operator gave none). `host` stays valid until `on_destroy` returns. Writes the instance to
   * `*out_state` on OK. May return INVALID (config rule beyond the schema), UNAVAILABLE or ERROR,
   * with text in `call->error_buf`. Never called concurrently with other calls on the library. */
  capstan_rc (*on_init)(const capstan_host* host, capstan_host_buf config_json, capstan_call* call,
                        capstan_plugin_state** out_state);
  /* Required. Destroys an instance after all calls on it have returned. Must not fail. */
  void (*on_destroy)(capstan_plugin_state* state);
  /* Optional. Health probe (like CSI Probe / CNI STATUS): OK when ready, UNAVAILABLE when not. */
  capstan_rc (*on_health)(capstan_plugin_state* state, capstan_call* call);
} capstan_plugin_descriptor;

/* The one exported function. Must be callable any number of times and return the same pointer. */
typedef const capstan_plugin_descriptor* (*capstan_plugin_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAPSTAN_ABI_COMMON_H_ */
