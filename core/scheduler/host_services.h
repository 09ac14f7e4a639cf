// The scheduler's host services on sched plugin contexts: "capstan_host_sched_object_json_v1",
// "capstan_host_sched_node_pods_v1", "capstan_host_sched_node_view_v1",
// "capstan_host_sched_affinity_nodes_v1", "capstan_host_sched_changed_nodes_v1",
// "capstan_host_sched_cycle_write_v1" / "..._read_v1" and
// "capstan_host_api_request_v1" (through a `SchedulerApi`, api.h). Install them with
// `SchedHostConfigurer` as `plugin::RegistryOptions::configure_host` before loading the chains.
// Tests in tests/core/scheduler/host_services_test.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "core/plugin/host_context.h"
#include "core/scheduler/api.h"

namespace capstan::scheduler {

// What the registered services need from the running scheduler. Created before the registry
// (which calls configure_host while loading); the API is attached once the scheduler starts.
// Thread-safe.
class SchedHostServices {
 public:
  void SetApi(std::shared_ptr<SchedulerApi> api);
  // NULL until SetApi.
  std::shared_ptr<SchedulerApi> api() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<SchedulerApi> api_;
};

// Registers the services on `ctx`; `services` must outlive the plugin instance.
void RegisterSchedHostServices(plugin::HostContext& ctx, SchedHostServices* services);

// For `RegistryOptions::configure_host`: registers the services on contexts of
// CAPSTAN_KIND_SCHED instances and calls `next` (may be empty) for every kind, so a process can
// chain its own configurers. Keeps `services` alive.
std::function<void(uint32_t kind, plugin::HostContext&)> SchedHostConfigurer(
    std::shared_ptr<SchedHostServices> services,
    std::function<void(uint32_t kind, plugin::HostContext&)> next = {});

}  // namespace capstan::scheduler
