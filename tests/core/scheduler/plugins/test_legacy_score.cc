// Test sched plugin `test-legacy-score`, written against the raw C ABI as a plugin built for
// sched 1.2 would be: its vtable's struct_size ends before `on_score_nodes` (sched 1.3), so the
// host must score it one node per `on_score` call. Score 100 on the node named "b", 10 elsewhere.
#include <cstddef>
#include <cstring>

#include "capstan/abi/sched.h"

namespace {

capstan_rc OnInit(const capstan_host*, capstan_host_buf, capstan_call*,
                  capstan_plugin_state** out_state) {
  *out_state = nullptr;
  return CAPSTAN_RC_OK;
}

void OnDestroy(capstan_plugin_state*) {}

capstan_rc OnScore(capstan_plugin_state*, capstan_call*, capstan_sched_cycle*,
                   const capstan_sched_pod_view*, const capstan_sched_node_view* node,
                   int64_t* out_score) {
  bool b = node->name.len == 1 && std::memcmp(node->name.data, "b", 1) == 0;
  *out_score = b ? 100 : 10;
  return CAPSTAN_RC_OK;
}

capstan_sched_v1 MakeVtable() {
  capstan_sched_v1 v{};
  v.struct_size = offsetof(capstan_sched_v1, on_score_nodes);
  v.on_score = OnScore;
  return v;
}

const capstan_sched_v1 kSched = MakeVtable();

const capstan_kind_descriptor kKinds[] = {
    {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_SCHED, CAPSTAN_SCHED_IFACE_MAJOR, 2, 0, &kSched},
};

const capstan_plugin_descriptor kDescriptor = {sizeof(capstan_plugin_descriptor),
                                               CAPSTAN_ABI_MAJOR,
                                               CAPSTAN_ABI_MINOR,
                                               "test-legacy-score",
                                               "0.1.0",
                                               "sched 1.2 Score: one node per call",
                                               nullptr,
                                               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE,
                                               1,
                                               0,
                                               kKinds,
                                               OnInit,
                                               OnDestroy,
                                               nullptr};

}  // namespace

extern "C" __attribute__((visibility("default"))) const capstan_plugin_descriptor*
capstan_plugin_entry(void) {
  return &kDescriptor;
}
