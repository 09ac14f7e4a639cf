// CAPSTAN_SCHED_PLUGIN: CAPSTAN_PLUGIN (capstan/sdk/plugin.h) for the plugins that need host
// services the SDK's `Host` does not resolve (today "capstan_host_sched_node_view_v1"): the same
// descriptor, with an on_init that first captures those services (snapshot_nodes.h). Use once,
// in plugin.cc.
#ifndef CAPSTAN_PLUGINS_SCHED_COMMON_EXPORT_H_
#define CAPSTAN_PLUGINS_SCHED_COMMON_EXPORT_H_

#include "capstan/sdk/plugin.h"
#include "plugins/sched/common/snapshot_nodes.h"

namespace capstan::sched {

template <typename D>
capstan_rc OnInitCapturingServices(const capstan_host* host, capstan_host_buf config,
                                   capstan_call* call, capstan_plugin_state** out) noexcept {
  CaptureHostProcs(host);
  return sdk::internal::Lifecycle<D>::OnInit(host, config, call, out);
}

template <typename D>
capstan_plugin_descriptor SchedDescriptor(const sdk::PluginInfo& info) {
  capstan_plugin_descriptor d = sdk::internal::BuildDescriptor<D>(info);
  d.on_init = &OnInitCapturingServices<D>;
  return d;
}

}  // namespace capstan::sched

#define CAPSTAN_SCHED_PLUGIN(Class, name, version, description, schema, capabilities)      \
  extern "C" __attribute__((visibility("default"))) const capstan_plugin_descriptor*       \
  capstan_plugin_entry(void) noexcept {                                                    \
    static const capstan_plugin_descriptor kCapstanDescriptor =                            \
        ::capstan::sched::SchedDescriptor<Class>(                                          \
            ::capstan::sdk::PluginInfo{name, version, description, schema, capabilities}); \
    return &kCapstanDescriptor;                                                            \
  }                                                                                        \
  static_assert(true, "require a semicolon after CAPSTAN_SCHED_PLUGIN(...)")

#endif  // CAPSTAN_PLUGINS_SCHED_COMMON_EXPORT_H_
