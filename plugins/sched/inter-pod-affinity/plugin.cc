// The export of `inter-pod-affinity`: the only symbol this .so exposes. Logic:
// inter_pod_affinity.cc, affinity_index.cc and affinity_terms.cc. Its on_init also captures
// "capstan_host_sched_changed_nodes_v1" (affinity_index.h) before the usual services.
#include "plugins/sched/common/export.h"
#include "plugins/sched/inter-pod-affinity/affinity_index.h"
#include "plugins/sched/inter-pod-affinity/inter_pod_affinity.h"

namespace capstan::sched {
namespace {

capstan_rc OnInit(const capstan_host* host, capstan_host_buf config, capstan_call* call,
                  capstan_plugin_state** out) noexcept {
  CaptureChangedNodesService(host);
  return OnInitCapturingServices<InterPodAffinity>(host, config, call, out);
}

}  // namespace
}  // namespace capstan::sched

extern "C" __attribute__((visibility("default"))) const capstan_plugin_descriptor*
capstan_plugin_entry(void) noexcept {
  static const capstan_plugin_descriptor kDescriptor = [] {
    capstan_plugin_descriptor d =
        capstan::sched::SchedDescriptor<capstan::sched::InterPodAffinity>(capstan::sdk::PluginInfo{
            capstan::sched::kInterPodAffinityName, "1.32.0",
            "Filter and Score by pod affinity/anti-affinity (InterPodAffinity)",
            capstan::sched::kInterPodAffinitySchema,
            CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE});
    d.on_init = &capstan::sched::OnInit;
    return d;
  }();
  return &kDescriptor;
}
