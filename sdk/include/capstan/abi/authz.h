/* Capstan plugin ABI, part 3 of 9: authorization (CAPSTAN_KIND_AUTHZ).
 * Chain rule (host): plugins are asked in order; the first OK (allow) or DENIED (deny) wins; SKIP
 * (no opinion) moves on; when every plugin skips the request is denied. Conventions: common.h.
 * Threading: `on_authorize` runs on API-server worker threads, concurrently when the plugin
 * declares CAPSTAN_CAP_THREAD_SAFE. It is on the path of every request: keep it fast. */
#ifndef CAPSTAN_ABI_AUTHZ_H_
#define CAPSTAN_ABI_AUTHZ_H_

#include "capstan/abi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAPSTAN_AUTHZ_IFACE_MAJOR 1
#define CAPSTAN_AUTHZ_IFACE_MINOR 0

/* The attributes of a request, as Kubernetes' authorizer.Attributes. Host-owned, borrowed.
 * Unused fields are {NULL,0}. */
typedef struct capstan_authz_attributes {
  uint32_t struct_size;
  /* 1 for API resource requests (/api, /apis), 0 for non-resource paths (/healthz, /version). */
  int32_t is_resource_request;
  capstan_host_str user;
  capstan_host_str uid;
  const capstan_host_str* groups;
  uint32_t group_count;
  uint32_t reserved0;
  /* JSON object of the user's extra attributes, or {NULL,0}. */
  capstan_host_buf extra_json;
  /* get, list, watch, create, update, patch, delete, deletecollection, or an HTTP verb for
   * non-resource requests; also impersonate, bind, escalate, use. */
  capstan_host_str verb;
  capstan_host_str api_group;
  capstan_host_str api_version;
  capstan_host_str resource;
  capstan_host_str subresource;
  capstan_host_str namespace_name;
  capstan_host_str name;
  capstan_host_str path;
} capstan_authz_attributes;

typedef struct capstan_authz_v1 {
  uint32_t struct_size;
  uint32_t reserved0;
  /* Required. OK: allow. DENIED: deny (final). SKIP: no opinion. ERROR: failure policy applies.
   * May write a human-readable reason (shown in 403 messages and audit) to `*out_reason`. */
  capstan_rc (*on_authorize)(capstan_plugin_state* state, capstan_call* call,
                             const capstan_authz_attributes* attributes,
                             capstan_plugin_buf* out_reason);
} capstan_authz_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAPSTAN_ABI_AUTHZ_H_ */
