/* Test plugin: a sched plugin compiled "against an older header": its vtable's struct_size
 * stops after on_filter, and the bytes after it are garbage pointers. The host must treat the
 * entries beyond struct_size as NULL and never call them. on_filter rejects the node "full". */
#include <stddef.h>
#include <string.h>

#include "capstan/abi/sched.h"

static capstan_rc on_init(const capstan_host* host, capstan_host_buf config_json,
                          capstan_call* call, capstan_plugin_state** out_state) {
  (void)host;
  (void)config_json;
  (void)call;
  *out_state = NULL;
  return CAPSTAN_RC_OK;
}

static void on_destroy(capstan_plugin_state* state) { (void)state; }

static capstan_rc on_filter(capstan_plugin_state* state, capstan_call* call,
                            capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                            const capstan_sched_node_view* node) {
  (void)state;
  (void)cycle;
  (void)pod;
  if (node->name.len == 4 && memcmp(node->name.data, "full", 4) == 0) {
    strcpy(call->error_buf, "node(s) are full");
    return CAPSTAN_RC_UNSCHEDULABLE;
  }
  return CAPSTAN_RC_OK;
}

#define GARBAGE(type) ((type)(uintptr_t)0xA5A5A5A5A5A5A5A5ull)

/* The whole struct is laid out in memory, but struct_size claims only the prefix. */
static const capstan_sched_v1 kSched = {
    offsetof(capstan_sched_v1, on_post_filter),
    0,
    NULL, /* on_queue_less */
    NULL, /* on_pre_filter */
    on_filter,
    GARBAGE(capstan_rc (*)(capstan_plugin_state*, capstan_call*, capstan_sched_cycle*,
                           const capstan_sched_pod_view*, const capstan_sched_node_status*,
                           uint32_t, capstan_plugin_buf*)),
    GARBAGE(capstan_rc (*)(capstan_plugin_state*, capstan_call*, capstan_sched_cycle*,
                           const capstan_sched_pod_view*, const capstan_sched_node_view* const*,
                           uint32_t)),
    GARBAGE(capstan_rc (*)(capstan_plugin_state*, capstan_call*, capstan_sched_cycle*,
                           const capstan_sched_pod_view*, const capstan_sched_node_view*,
                           int64_t*)),
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL, /* on_score_nodes */
};

static const capstan_kind_descriptor kKinds[] = {
    {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_SCHED, CAPSTAN_SCHED_IFACE_MAJOR,
     CAPSTAN_SCHED_IFACE_MINOR, 0, &kSched},
};

static const capstan_plugin_descriptor kDescriptor = {
    sizeof(capstan_plugin_descriptor),
    CAPSTAN_ABI_MAJOR,
    CAPSTAN_ABI_MINOR,
    "short-sched",
    "0.3.0",
    "Filter only; vtable truncated.",
    NULL,
    CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE,
    1,
    0,
    kKinds,
    on_init,
    on_destroy,
    NULL};

__attribute__((visibility("default"))) const capstan_plugin_descriptor* capstan_plugin_entry(void) {
  return &kDescriptor;
}
