// One initialised plugin instance: config checked against the schema, `on_init` called with its
// host-services table, calls serialized unless the plugin is thread-safe, every call guarded by a
// catch-all, posted work drained before `on_destroy`. Typed per-kind wrappers build on Invoke().
// Tests in tests/core/plugin/instance_test.cc.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "capstan/abi/abi.h"
#include "core/common/status.h"
#include "core/plugin/call.h"
#include "core/plugin/host_context.h"
#include "core/plugin/library.h"

namespace capstan::plugin {

struct InstanceOptions {
  std::string name;  // instance name: log field and metric label; must be a valid plugin name
  nlohmann::json config = nlohmann::json::object();
  std::shared_ptr<HostExecutor> executor;    // for "capstan_host_post_v1"; NULL: unavailable
  std::shared_ptr<MetricsRegistry> metrics;  // NULL: no metric services
  // Called before `on_init` to register extra services (RegisterProc) on the new context.
  std::function<void(HostContext&)> configure_host;
  // Deadline for `on_init` (0: none).
  int64_t init_timeout_ns = 0;
};

// Thread-safety: Invoke() and the accessors may be called from any thread; calls are serialized
// per instance unless the plugin declares CAPSTAN_CAP_THREAD_SAFE. Destroy only when no call is
// in flight (the owner's job).
class PluginInstance {
 public:
  // Validates `options.config` against the schema (or requires an object when there is none),
  // claims an instance slot and calls `on_init`. Errors:
  //   kInvalid "config for plugin 'x' is invalid at /path: ..." (schema) or bad instance name;
  //   kAlreadyExists a second instance of a library lacking CAPSTAN_CAP_MULTI_INSTANCE;
  //   on_init failure as CallOutcome::ToStatus ("initializing plugin 'x' instance 'y': RC: ...").
  static Result<std::unique_ptr<PluginInstance>> Create(
      const std::shared_ptr<const Library>& library, InstanceOptions options);
  // The config check Create() does first: the schema, or "must be an object" without one.
  // Errors: kInvalid "config for plugin '<instance_name>' is invalid at /path: why".
  static Status ValidateConfig(const Library& library, const std::string& instance_name,
                               const nlohmann::json& config);

  // Drains posted tasks, then calls `on_destroy`.
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const std::string& name() const { return name_; }
  const Library& library() const { return *library_; }
  const PluginInfo& info() const { return library_->info(); }
  HostContext& host_context() { return *host_; }
  bool Implements(uint32_t kind) const { return info().FindKind(kind) != nullptr; }

  // Host copies of the vtables (entries beyond the plugin's struct_size are NULL); NULL when the
  // plugin does not implement the kind.
  const capstan_authn_v1* authn() const { return Vtable<capstan_authn_v1>(CAPSTAN_KIND_AUTHN); }
  const capstan_authz_v1* authz() const { return Vtable<capstan_authz_v1>(CAPSTAN_KIND_AUTHZ); }
  const capstan_admission_v1* admission() const {
    return Vtable<capstan_admission_v1>(CAPSTAN_KIND_ADMISSION);
  }
  const capstan_sched_v1* sched() const { return Vtable<capstan_sched_v1>(CAPSTAN_KIND_SCHED); }
  const capstan_controller_v1* controller() const {
    return Vtable<capstan_controller_v1>(CAPSTAN_KIND_CONTROLLER);
  }
  const capstan_cni_v1* cni() const { return Vtable<capstan_cni_v1>(CAPSTAN_KIND_CNI); }
  const capstan_csi_v1* csi() const { return Vtable<capstan_csi_v1>(CAPSTAN_KIND_CSI); }
  const capstan_runtime_v1* runtime() const {
    return Vtable<capstan_runtime_v1>(CAPSTAN_KIND_RUNTIME);
  }

  // Calls `fn(state, call)` (which calls one vtable entry and returns its code) with a fresh
  // call context, the instance lock when the plugin is not thread-safe, and a catch-all. The
  // outcome's source is "plugin 'p' instance 'i' <what>". Callers check
  // the entry for NULL first (NULL means UNIMPLEMENTED) and validate outputs with CheckOutput /
  // ParseJsonOutput.
  template <typename Fn>
  CallOutcome Invoke(std::string_view what, const CallOptions& options, Fn&& fn) {
    CallContext ctx(options);
    std::unique_lock<std::mutex> lock(call_mu_, std::defer_lock);
    if (!info().thread_safe()) lock.lock();
    capstan_rc rc = CAPSTAN_RC_ERROR;
    bool threw = false;
    try {
      rc = fn(state_, ctx.raw());
    } catch (...) {
      threw = true;
    }
    if (lock.owns_lock()) lock.unlock();
    return Finish(what, ctx, rc, threw);
  }

  // `on_health`, or OK when the plugin has none.
  CallOutcome Health(const CallOptions& options);

  // Checks a plugin output buffer and parses it as JSON. Errors: kInternal naming the instance
  // and `what` (NULL data with len > 0, invalid JSON).
  Result<nlohmann::json> ParseJsonOutput(const capstan_plugin_buf& buf,
                                         std::string_view what) const;
  // "plugin 'p' instance 'i'": the prefix of this instance's messages.
  std::string Describe() const;

 private:
  PluginInstance(std::shared_ptr<const Library> library, std::string name);

  template <typename T>
  const T* Vtable(uint32_t kind) const {
    return static_cast<const T*>(info().vtable(kind));
  }
  CallOutcome Finish(std::string_view what, CallContext& ctx, capstan_rc rc, bool threw) const;

  std::shared_ptr<const Library> library_;
  std::string name_;
  std::unique_ptr<HostContext> host_;
  capstan_plugin_state* state_ = nullptr;
  bool initialized_ = false;
  std::mutex call_mu_;
};

}  // namespace capstan::plugin
