/* Capstan plugin ABI, part 2 of 9: authentication (CAPSTAN_KIND_AUTHN).
 * Chain rule (host): plugins are asked in order; the first OK wins; SKIP moves on; DENIED stops
 * with 401; ERROR follows the entry's failure policy. Conventions: see common.h.
 * Threading: `on_authenticate` runs on API-server worker threads, concurrently when the plugin
 * declares CAPSTAN_CAP_THREAD_SAFE. It is on the path of every request: keep it fast. */
#ifndef CAPSTAN_ABI_AUTHN_H_
#define CAPSTAN_ABI_AUTHN_H_

#include "capstan/abi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAPSTAN_AUTHN_IFACE_MAJOR 1
#define CAPSTAN_AUTHN_IFACE_MINOR 0

/* One HTTP header; `name` is lower-case. Host-owned, borrowed. */
typedef struct capstan_http_header {
  capstan_host_str name;
  capstan_host_str value;
} capstan_http_header;

/* What the host knows about the request. Host-owned, borrowed for the call. */
typedef struct capstan_authn_request {
  uint32_t struct_size;
  uint32_t header_count;
  const capstan_http_header* headers;
  /* The token of an "Authorization: Bearer <token>" header, or {NULL,0}. */
  capstan_host_str bearer_token;
  /* The client's certificate chain as concatenated PEM, leaf first, or {NULL,0}. */
  capstan_host_buf client_cert_chain_pem;
  /* 1 when the TLS layer verified the chain against the configured client CA. */
  int32_t client_cert_verified;
  uint32_t reserved0;
  /* "ip:port" of the peer. */
  capstan_host_str remote_addr;
} capstan_authn_request;

typedef struct capstan_authn_v1 {
  uint32_t struct_size;
  uint32_t reserved0;
  /* Required. OK: authenticated; writes user info JSON to `*out_user_json`:
   *   {"username":"...","uid":"...","groups":["..."],"extra":{"k":["v"]}}  (username required)
   * SKIP: the request carries no credentials of this plugin's kind.
   * DENIED: credentials of this plugin's kind that are invalid or expired (client gets 401).
   * ERROR / UNAVAILABLE: could not decide. */
  capstan_rc (*on_authenticate)(capstan_plugin_state* state, capstan_call* call,
                                const capstan_authn_request* request,
                                capstan_plugin_buf* out_user_json);
} capstan_authn_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAPSTAN_ABI_AUTHN_H_ */
