/* Capstan plugin ABI, part 4 of 9: admission (CAPSTAN_KIND_ADMISSION).
 * Chain rule (host): every mutator runs in chain order, each seeing the previous one's output;
 * then every validator runs on the final object; any DENIED or INVALID rejects the request.
 * Conventions: common.h. Threading: both entries run on API-server worker threads, concurrently
 * (for different requests) when the plugin declares CAPSTAN_CAP_THREAD_SAFE. */
#ifndef CAPSTAN_ABI_ADMISSION_H_
#define CAPSTAN_ABI_ADMISSION_H_

#include "capstan/abi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAPSTAN_ADMISSION_IFACE_MAJOR 1
#define CAPSTAN_ADMISSION_IFACE_MINOR 0

/* `capstan_admission_request.operation`. */
#define CAPSTAN_ADMISSION_CREATE 1
#define CAPSTAN_ADMISSION_UPDATE 2
#define CAPSTAN_ADMISSION_DELETE 3
#define CAPSTAN_ADMISSION_CONNECT 4

/* One request under admission. Host-owned, borrowed. Typed fields cover what most plugins filter
 * on; `request_json` is the full `admission.k8s.io/v1` AdmissionRequest for everything else
 * (webhook adapters forward it as is). */
typedef struct capstan_admission_request {
  uint32_t struct_size;
  uint32_t operation;
  capstan_host_str uid;
  capstan_host_str group;
  capstan_host_str version;
  capstan_host_str kind;
  capstan_host_str resource;
  capstan_host_str subresource;
  capstan_host_str namespace_name;
  capstan_host_str name;
  capstan_host_str user;
  int32_t dry_run;
  uint32_t reserved0;
  /* The object after defaulting (and after earlier mutators), {NULL,0} on DELETE/CONNECT. */
  capstan_host_buf object_json;
  /* The stored object on UPDATE and DELETE, else {NULL,0}. */
  capstan_host_buf old_object_json;
  capstan_host_buf request_json;
} capstan_admission_request;

typedef struct capstan_admission_v1 {
  uint32_t struct_size;
  uint32_t reserved0;
  /* Optional (NULL: not a mutator). OK: writes an RFC 6902 JSON Patch array against
   * `object_json` to `*out_patch_json`, or {NULL,0} for "no change". DENIED: reject with 403;
   * INVALID: reject with 422; SKIP: not applicable. Text in `call->error_buf` becomes the
   * message. A patch that does not apply is treated as ERROR. */
  capstan_rc (*on_mutate)(capstan_plugin_state* state, capstan_call* call,
                          const capstan_admission_request* request,
                          capstan_plugin_buf* out_patch_json);
  /* Optional (NULL: not a validator). OK: admitted; may write a JSON array of warning strings to
   * `*out_warnings_json`. DENIED / INVALID / SKIP as for `on_mutate`. Must not change anything. */
  capstan_rc (*on_validate)(capstan_plugin_state* state, capstan_call* call,
                            const capstan_admission_request* request,
                            capstan_plugin_buf* out_warnings_json);
} capstan_admission_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAPSTAN_ABI_ADMISSION_H_ */
