/* Capstan plugin ABI, part 7 of 9: pod networking (CAPSTAN_KIND_CNI), shaped after the CNI spec
 * (https://www.cni.dev/docs/spec/, version 1.1.0): the same operations, the same JSON network
 * configuration and result documents, passed as buffers instead of stdin/stdout.
 * Chain rule (host): ADD runs the chain in order, each plugin seeing the previous result as
 * `prevResult` in its configuration; DEL runs in reverse and continues past errors.
 * Threading: calls for different containers may run concurrently when the plugin declares
 * CAPSTAN_CAP_THREAD_SAFE; calls for one container ID are never concurrent. Return codes mirror
 * CNI's: RETRY_LATER (CNI 11), UNAVAILABLE (CNI 50), others ERROR. Conventions: common.h. */
#ifndef CAPSTAN_ABI_CNI_H_
#define CAPSTAN_ABI_CNI_H_

#include "capstan/abi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAPSTAN_CNI_IFACE_MAJOR 1
#define CAPSTAN_CNI_IFACE_MINOR 0

/* The CNI_* parameters of one operation. Host-owned, borrowed. */
typedef struct capstan_cni_request {
  uint32_t struct_size;
  uint32_t reserved0;
  capstan_host_str container_id;
  /* Path of the network namespace ("/var/run/netns/x"); {NULL,0} for GC and STATUS. */
  capstan_host_str netns;
  capstan_host_str ifname;
  /* "K=V;K=V" as CNI_ARGS (K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID...). */
  capstan_host_str args;
  /* The network configuration for this plugin as JSON: cniVersion, name, type, the plugin's
   * own keys, `runtimeConfig` for the capabilities it declares, and `prevResult` in chains.
   * For GC it also carries "cni.dev/valid-attachments". */
  capstan_host_buf config_json;
} capstan_cni_request;

typedef struct capstan_cni_v1 {
  uint32_t struct_size;
  uint32_t reserved0;
  /* Required. Attaches the container; writes a CNI result JSON (interfaces, ips, routes, dns)
   * to `*out_result_json`. */
  capstan_rc (*on_add)(capstan_plugin_state* state, capstan_call* call,
                       const capstan_cni_request* request, capstan_plugin_buf* out_result_json);
  /* Required. Detaches; succeeds when already absent. */
  capstan_rc (*on_del)(capstan_plugin_state* state, capstan_call* call,
                       const capstan_cni_request* request);
  /* Optional. Verifies the attachment still matches `prevResult`. */
  capstan_rc (*on_check)(capstan_plugin_state* state, capstan_call* call,
                         const capstan_cni_request* request);
  /* Optional. OK when ready to ADD; UNAVAILABLE otherwise. */
  capstan_rc (*on_status)(capstan_plugin_state* state, capstan_call* call,
                          const capstan_cni_request* request);
  /* Optional. Releases everything not in the config's "cni.dev/valid-attachments". */
  capstan_rc (*on_gc)(capstan_plugin_state* state, capstan_call* call,
                      const capstan_cni_request* request);
} capstan_cni_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAPSTAN_ABI_CNI_H_ */
