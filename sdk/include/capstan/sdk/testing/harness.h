// `PluginInstance`: drives one plugin instance through its C descriptor and vtables the way the
// host does (on_init with a `FakeHost`, entry calls with a fresh `FakeCall`, on_destroy), and
// returns each call's code, output and error text as an `Outcome`. `TestPlugin<Class>` does the
// same for a plugin class without building a `.so`, via the descriptor CAPSTAN_PLUGIN would
// export. Partners: fake_host.h, requests.h. Header-only, C++17.
#ifndef CAPSTAN_SDK_TESTING_HARNESS_H_
#define CAPSTAN_SDK_TESTING_HARNESS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "capstan/abi/abi.h"
#include "capstan/sdk/plugin.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk::testing {

// The result of one entry call. `output` copies the plugin's out-buffer (if the entry has one).
struct Outcome {
  capstan_rc rc = CAPSTAN_RC_OK;
  std::string output;
  std::string error;
  uint32_t retry_after_ms = 0;
  bool ok() const { return rc == CAPSTAN_RC_OK; }
};

// Not thread-safe itself; the plugin's own thread-safety is what tests exercise with raw calls.
class PluginInstance {
 public:
  // Creates an instance; `init()` holds on_init's outcome. The descriptor and host must outlive
  // this object.
  PluginInstance(const capstan_plugin_descriptor* descriptor, FakeHost& host,
                 std::string_view config_json = "{}")
      : descriptor_(descriptor), host_(&host) {
    FakeCall call;
    init_.rc = descriptor_->on_init(host.host(), ToHostBuf(config_json), call.get(), &state_);
    init_.error = call.error();
    host.EndInit();
  }
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;
  ~PluginInstance() {
    if (state_ != nullptr) descriptor_->on_destroy(state_);
  }

  const Outcome& init() const { return init_; }
  capstan_plugin_state* state() const { return state_; }
  const capstan_plugin_descriptor* descriptor() const { return descriptor_; }

  // The vtable of `kind` (e.g. `Vtable<capstan_sched_v1>(CAPSTAN_KIND_SCHED)`), or NULL.
  template <typename V>
  const V* Vtable(uint32_t kind) const {
    for (uint32_t i = 0; i < descriptor_->kind_count; ++i) {
      if (descriptor_->kinds[i].kind == kind)
        return static_cast<const V*>(descriptor_->kinds[i].vtable);
    }
    return nullptr;
  }

  Outcome Health() {
    if (descriptor_->on_health == nullptr) return Missing("on_health");
    return Run(
        [&](capstan_call* c, capstan_plugin_buf*) { return descriptor_->on_health(state_, c); });
  }

  // ---- authn / authz / admission ----
  Outcome Authenticate(const capstan_authn_request* r) {
    auto* v = Vtable<capstan_authn_v1>(CAPSTAN_KIND_AUTHN);
    if (v == nullptr) return Missing("authn");
    return Run([&](capstan_call* c, capstan_plugin_buf* o) {
      return v->on_authenticate(state_, c, r, o);
    });
  }
  Outcome Authorize(const capstan_authz_attributes* a) {
    auto* v = Vtable<capstan_authz_v1>(CAPSTAN_KIND_AUTHZ);
    if (v == nullptr) return Missing("authz");
    return Run(
        [&](capstan_call* c, capstan_plugin_buf* o) { return v->on_authorize(state_, c, a, o); });
  }
  Outcome Mutate(const capstan_admission_request* r) {
    auto* v = Vtable<capstan_admission_v1>(CAPSTAN_KIND_ADMISSION);
    if (v == nullptr || v->on_mutate == nullptr) return Missing("on_mutate");
    return Run(
        [&](capstan_call* c, capstan_plugin_buf* o) { return v->on_mutate(state_, c, r, o); });
  }
  Outcome Validate(const capstan_admission_request* r) {
    auto* v = Vtable<capstan_admission_v1>(CAPSTAN_KIND_ADMISSION);
    if (v == nullptr || v->on_validate == nullptr) return Missing("on_validate");
    return Run(
        [&](capstan_call* c, capstan_plugin_buf* o) { return v->on_validate(state_, c, r, o); });
  }

  // ---- sched (a fresh cycle handle per call unless one is given) ----
  Outcome Filter(const capstan_sched_pod_view* pod, const capstan_sched_node_view* node,
                 capstan_sched_cycle* cycle = nullptr) {
    auto* v = Vtable<capstan_sched_v1>(CAPSTAN_KIND_SCHED);
    if (v == nullptr || v->on_filter == nullptr) return Missing("on_filter");
    capstan_sched_cycle* cy = cycle != nullptr ? cycle : host_->NewCycle();
    return Run([&](capstan_call* c, capstan_plugin_buf*) {
      return v->on_filter(state_, c, cy, pod, node);
    });
  }
  Outcome Score(const capstan_sched_pod_view* pod, const capstan_sched_node_view* node,
                int64_t* score, capstan_sched_cycle* cycle = nullptr) {
    auto* v = Vtable<capstan_sched_v1>(CAPSTAN_KIND_SCHED);
    if (v == nullptr || v->on_score == nullptr) return Missing("on_score");
    capstan_sched_cycle* cy = cycle != nullptr ? cycle : host_->NewCycle();
    return Run([&](capstan_call* c, capstan_plugin_buf*) {
      return v->on_score(state_, c, cy, pod, node, score);
    });
  }

  // ---- controller ----
  Outcome Describe() {
    auto* v = Vtable<capstan_controller_v1>(CAPSTAN_KIND_CONTROLLER);
    if (v == nullptr) return Missing("controller");
    return Run(
        [&](capstan_call* c, capstan_plugin_buf* o) { return v->on_describe(state_, c, o); });
  }
  Outcome Reconcile(std::string_view key, uint64_t* requeue_after_ms) {
    auto* v = Vtable<capstan_controller_v1>(CAPSTAN_KIND_CONTROLLER);
    if (v == nullptr) return Missing("controller");
    return Run([&](capstan_call* c, capstan_plugin_buf*) {
      return v->on_reconcile(state_, c, ToHostStr(key), requeue_after_ms);
    });
  }
  Outcome MapEvent(std::string_view resource, uint32_t event_type, std::string_view object_json) {
    auto* v = Vtable<capstan_controller_v1>(CAPSTAN_KIND_CONTROLLER);
    if (v == nullptr || v->on_map_event == nullptr) return Missing("on_map_event");
    return Run([&](capstan_call* c, capstan_plugin_buf* o) {
      return v->on_map_event(state_, c, ToHostStr(resource), event_type, ToHostBuf(object_json), o);
    });
  }

  // ---- cni: `op` is one of &capstan_cni_v1::on_del / on_check / on_status / on_gc ----
  Outcome CniAdd(const capstan_cni_request* r) {
    auto* v = Vtable<capstan_cni_v1>(CAPSTAN_KIND_CNI);
    if (v == nullptr) return Missing("cni");
    return Run([&](capstan_call* c, capstan_plugin_buf* o) { return v->on_add(state_, c, r, o); });
  }
  using CniOp = capstan_rc (*)(capstan_plugin_state*, capstan_call*, const capstan_cni_request*);
  Outcome Cni(CniOp capstan_cni_v1::*op, const capstan_cni_request* r) {
    auto* v = Vtable<capstan_cni_v1>(CAPSTAN_KIND_CNI);
    if (v == nullptr || v->*op == nullptr) return Missing("cni entry");
    return Run([&](capstan_call* c, capstan_plugin_buf*) { return (v->*op)(state_, c, r); });
  }

  // ---- csi / runtime: `rpc` is e.g. &capstan_csi_v1::on_create_volume ----
  Outcome Csi(capstan_csi_rpc_fn capstan_csi_v1::*rpc, std::string_view request_json) {
    auto* v = Vtable<capstan_csi_v1>(CAPSTAN_KIND_CSI);
    if (v == nullptr || v->*rpc == nullptr) return Missing("csi rpc");
    return Run([&](capstan_call* c, capstan_plugin_buf* o) {
      return (v->*rpc)(state_, c, ToHostBuf(request_json), o);
    });
  }
  Outcome Runtime(capstan_runtime_rpc_fn capstan_runtime_v1::*rpc, std::string_view request_json) {
    auto* v = Vtable<capstan_runtime_v1>(CAPSTAN_KIND_RUNTIME);
    if (v == nullptr || v->*rpc == nullptr) return Missing("runtime rpc");
    return Run([&](capstan_call* c, capstan_plugin_buf* o) {
      return (v->*rpc)(state_, c, ToHostBuf(request_json), o);
    });
  }

 private:
  template <typename Fn>
  Outcome Run(Fn&& fn) {
    FakeCall call;
    capstan_plugin_buf out{nullptr, 0};
    Outcome o;
    o.rc = fn(call.get(), &out);
    o.output = std::string(ToView(out));
    if (o.rc != CAPSTAN_RC_OK) o.error = call.error();
    o.retry_after_ms = call.retry_after_ms();
    return o;
  }
  static Outcome Missing(const char* what) {
    Outcome o;
    o.rc = CAPSTAN_RC_UNIMPLEMENTED;
    o.error = std::string(what) + " is not implemented (NULL entry)";
    return o;
  }

  const capstan_plugin_descriptor* descriptor_;
  FakeHost* host_;
  capstan_plugin_state* state_ = nullptr;
  Outcome init_;
};

// The descriptor CAPSTAN_PLUGIN would export for `D`, with test name/version.
template <typename D>
const capstan_plugin_descriptor* TestDescriptor(const char* config_schema = nullptr,
                                                uint64_t capabilities = CAPSTAN_CAP_THREAD_SAFE) {
  static const capstan_plugin_descriptor d = internal::BuildDescriptor<D>(
      PluginInfo{"test-plugin", "0.0.0", "under test", config_schema, capabilities});
  return &d;
}

// A `PluginInstance` of class `D` with direct access to the C++ object for white-box checks.
template <typename D>
class TestPlugin : public PluginInstance {
 public:
  explicit TestPlugin(FakeHost& host, std::string_view config_json = "{}")
      : PluginInstance(TestDescriptor<D>(), host, config_json) {}
  // Valid only when `init().ok()`.
  D& plugin() { return internal::Instance<D>::From(state())->plugin; }
};

}  // namespace capstan::sdk::testing

#endif  // CAPSTAN_SDK_TESTING_HARNESS_H_
