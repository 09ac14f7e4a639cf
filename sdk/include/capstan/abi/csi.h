/* Capstan plugin ABI, part 8 of 9: volumes (CAPSTAN_KIND_CSI), shaped after the CSI spec
 * (https://github.com/container-storage-interface/spec, v1.x): the Identity, Controller and Node
 * services, each RPC taking its request message and returning its response message as JSON in
 * the proto3 JSON mapping (lowerCamelCase: "volumeId", "volumeCapabilities"...).
 * Return codes mirror CSI's gRPC codes: INVALID (INVALID_ARGUMENT), NOT_FOUND, ALREADY_EXISTS,
 * RETRY_LATER (ABORTED: an operation is pending for the volume), UNAVAILABLE, UNIMPLEMENTED
 * (check capabilities; do not retry), DEADLINE_EXCEEDED, ERROR (INTERNAL).
 * Threading: calls for different volumes may run concurrently when the plugin declares
 * CAPSTAN_CAP_THREAD_SAFE; the host never runs two calls for one volume at once.
 * Every entry is optional; a NULL entry is UNIMPLEMENTED. Conventions: common.h. */
#ifndef CAPSTAN_ABI_CSI_H_
#define CAPSTAN_ABI_CSI_H_

#include "capstan/abi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAPSTAN_CSI_IFACE_MAJOR 1
#define CAPSTAN_CSI_IFACE_MINOR 0

/* One CSI RPC: `request_json` in, `*out_response_json` out. */
typedef capstan_rc (*capstan_csi_rpc_fn)(capstan_plugin_state* state, capstan_call* call,
                                         capstan_host_buf request_json,
                                         capstan_plugin_buf* out_response_json);

typedef struct capstan_csi_v1 {
  uint32_t struct_size;
  uint32_t reserved0;
  /* Identity service. */
  capstan_csi_rpc_fn on_get_plugin_info;
  capstan_csi_rpc_fn on_get_plugin_capabilities;
  capstan_csi_rpc_fn on_probe;
  /* Controller service. */
  capstan_csi_rpc_fn on_create_volume;
  capstan_csi_rpc_fn on_delete_volume;
  capstan_csi_rpc_fn on_controller_publish_volume;
  capstan_csi_rpc_fn on_controller_unpublish_volume;
  capstan_csi_rpc_fn on_validate_volume_capabilities;
  capstan_csi_rpc_fn on_controller_expand_volume;
  capstan_csi_rpc_fn on_controller_get_capabilities;
  /* Node service. */
  capstan_csi_rpc_fn on_node_stage_volume;
  capstan_csi_rpc_fn on_node_unstage_volume;
  capstan_csi_rpc_fn on_node_publish_volume;
  capstan_csi_rpc_fn on_node_unpublish_volume;
  capstan_csi_rpc_fn on_node_expand_volume;
  capstan_csi_rpc_fn on_node_get_volume_stats;
  capstan_csi_rpc_fn on_node_get_capabilities;
  capstan_csi_rpc_fn on_node_get_info;
} capstan_csi_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAPSTAN_ABI_CSI_H_ */
