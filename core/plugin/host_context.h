// The host-services table (`capstan_host` in capstan/abi/common.h) for one plugin instance:
// get_proc by name with the built-in services log, metric define/record, call_cancelled and
// post, plus named procs other subsystems register (cache, API client, scheduler services).
// Owned by `PluginInstance` (instance.h). Tests in tests/core/plugin/host_context_test.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/abi/common.h"
#include "core/plugin/executor.h"
#include "core/plugin/metrics.h"

namespace capstan::plugin {

// Lifecycle: constructed before `on_init`; RegisterProc/SetUserData only until EndInit();
// Shutdown() before `on_destroy`. Services called by the plugin are thread-safe.
class HostContext {
 public:
  struct Options {
    std::string plugin_name;                   // descriptor name (metric prefix, log field)
    std::string instance_name;                 // chain entry name (log field, metric label)
    std::shared_ptr<HostExecutor> executor;    // NULL: "post" returns UNAVAILABLE
    std::shared_ptr<MetricsRegistry> metrics;  // NULL: metric services are absent
  };

  explicit HostContext(Options options);
  ~HostContext();  // removes this instance's metric series
  HostContext(const HostContext&) = delete;
  HostContext& operator=(const HostContext&) = delete;

  // The table given to `on_init`; valid while this object lives.
  const capstan_host* table() const { return &table_; }
  // The context behind a handle this object handed out (for services registered by others).
  static HostContext* FromHandle(capstan_host_ctx* ctx) {
    return reinterpret_cast<HostContext*>(ctx);
  }

  // Adds or replaces a service for this instance. Call before `on_init` (plugins look services
  // up there); aborts when called after EndInit().
  void RegisterProc(std::string name, capstan_host_proc proc);
  // Per-context data for registered services, by key (not owned).
  void SetUserData(std::string key, void* data);
  void* UserData(std::string_view key) const;

  // NULL for unknown names. Thread-safe.
  capstan_host_proc GetProc(std::string_view name) const;

  // Marks the end of `on_init`: metric definitions are refused afterwards.
  void EndInit();
  // Refuses further posts and runs or drops every posted task (ABI: before `on_destroy`).
  // Returns the number of delayed tasks dropped.
  size_t Shutdown();

  const std::string& plugin_name() const { return options_.plugin_name; }
  const std::string& instance_name() const { return options_.instance_name; }

  // The services, callable from C++ too.
  void Log(int32_t level, std::string_view msg, std::string_view fields_json) const;
  capstan_rc DefineMetric(std::string_view name, std::string_view help, int32_t type,
                          uint32_t* out_id);
  void RecordMetric(uint32_t id, double value);
  capstan_rc Post(capstan_plugin_task_fn fn, void* arg, uint64_t delay_ms);

 private:
  Options options_;
  capstan_host table_{};
  std::shared_ptr<HostExecutor::Owner> owner_;

  mutable std::mutex mu_;
  std::map<std::string, capstan_host_proc, std::less<>> procs_;
  std::map<std::string, void*, std::less<>> user_data_;
  std::atomic<bool> init_done_{false};
  // Indexed by metric id. Appended only during init (under mu_); read lock-free after.
  std::vector<MetricSeries*> series_;
  std::vector<std::string> metric_names_;
};

}  // namespace capstan::plugin
