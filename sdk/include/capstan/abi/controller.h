/* Capstan plugin ABI, part 6 of 9: controllers (CAPSTAN_KIND_CONTROLLER).
 * The host runs shared informers and a work queue per controller; the plugin says what it
 * watches and reconciles one key at a time, reading from the host's cache
 * ("capstan_host_cache_get_v1") and writing through the API ("capstan_host_api_request_v1").
 * Threading: `on_reconcile` is never called concurrently for the same key; for different keys it
 * runs on several worker threads when the plugin declares CAPSTAN_CAP_THREAD_SAFE.
 * `on_describe` runs once, after `on_init`. Conventions: common.h. */
#ifndef CAPSTAN_ABI_CONTROLLER_H_
#define CAPSTAN_ABI_CONTROLLER_H_

#include "capstan/abi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAPSTAN_CONTROLLER_IFACE_MAJOR 1
#define CAPSTAN_CONTROLLER_IFACE_MINOR 0

/* Event types for `on_map_event`. */
#define CAPSTAN_EVENT_ADDED 1
#define CAPSTAN_EVENT_MODIFIED 2
#define CAPSTAN_EVENT_DELETED 3

typedef struct capstan_controller_v1 {
  uint32_t struct_size;
  uint32_t reserved0;
  /* Required. Writes the watch description to `*out_json`:
   *   {"primary": "apps/v1/replicasets",
   *    "watches": [{"resource": "/v1/pods", "map": "owner"},     (enqueue the controller owner)
   *                {"resource": "/v1/nodes", "map": "plugin"}],  (ask `on_map_event`)
   *    "workers": 2, "resyncSeconds": 0}
   * Events on `primary` enqueue their own key. */
  capstan_rc (*on_describe)(capstan_plugin_state* state, capstan_call* call,
                            capstan_plugin_buf* out_json);
  /* Required. Brings the object named `key` ("namespace/name" or "name") to its desired state.
   * OK: done; when `*out_requeue_after_ms` > 0 the key is reconciled again after that time.
   * RETRY_LATER / ERROR: requeued with per-key exponential backoff (ERROR is also counted). */
  capstan_rc (*on_reconcile)(capstan_plugin_state* state, capstan_call* call, capstan_host_str key,
                             uint64_t* out_requeue_after_ms);
  /* Optional. For watches with "map": "plugin": writes a JSON array of primary keys to enqueue
   * for this event on `resource` to `*out_keys_json`. */
  capstan_rc (*on_map_event)(capstan_plugin_state* state, capstan_call* call,
                             capstan_host_str resource, uint32_t event_type,
                             capstan_host_buf object_json, capstan_plugin_buf* out_keys_json);
} capstan_controller_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAPSTAN_ABI_CONTROLLER_H_ */
