// Controller plugins (CAPSTAN_KIND_CONTROLLER, capstan/abi/controller.h): `ControllerPlugin` to
// derive from and the export trampolines used by CAPSTAN_PLUGIN (plugin.h). The host runs the
// informers and work queue; the plugin reads through `Host::CacheGet/CacheList` and writes through
// `Call::ApiRequest`. Header-only, C++17.
#ifndef CAPSTAN_SDK_CONTROLLER_H_
#define CAPSTAN_SDK_CONTROLLER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "capstan/abi/controller.h"
#include "capstan/sdk/call.h"
#include "capstan/sdk/internal/bridge.h"
#include "capstan/sdk/status.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk {

enum class EventType : uint32_t {
  kAdded = CAPSTAN_EVENT_ADDED,
  kModified = CAPSTAN_EVENT_MODIFIED,
  kDeleted = CAPSTAN_EVENT_DELETED,
};

// Derive from this to reconcile objects. Threading: `Reconcile` is never concurrent for one key;
// for different keys it runs on several workers with CAPSTAN_CAP_THREAD_SAFE. `Describe` runs
// once, after Init.
class ControllerPlugin {
 public:
  virtual ~ControllerPlugin() = default;

  // Required. The watch description (see controller.h), e.g.
  //   {"primary":"/v1/namespaces","watches":[{"resource":"/v1/configmaps","map":"plugin"}]}
  virtual Status Describe(Call& call, std::string* watch_json) = 0;
  // Required. Brings `key` ("namespace/name" or "name") to its desired state. OK: done, and
  // reconciled again after `*requeue_after_ms` when > 0. RETRY_LATER / ERROR: requeued with
  // backoff.
  virtual Status Reconcile(Call& call, std::string_view key, uint64_t* requeue_after_ms) = 0;
  // Optional, for watches with "map":"plugin": a JSON array of primary keys to enqueue for this
  // event in `*keys_json`.
  virtual Status MapEvent(Call& call, std::string_view resource, EventType type,
                          std::string_view object_json, std::string* keys_json) {
    (void)call, (void)resource, (void)type, (void)object_json, (void)keys_json;
    return Status::Unimplemented("no event mapping");
  }
};

namespace internal {

template <typename D>
struct ControllerBridge {
  using B = ControllerPlugin;
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, Describe, "Status Describe(Call&, std::string*)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, Reconcile,
                              "Status Reconcile(Call&, std::string_view, uint64_t*)");
  CAPSTAN_SDK_CHECK_SIGNATURE(
      D, B, MapEvent,
      "Status MapEvent(Call&, std::string_view, EventType, std::string_view, std::string*)");

  static capstan_rc OnDescribe(capstan_plugin_state* state, capstan_call* call,
                               capstan_plugin_buf* out) noexcept {
    ClearOut(out);
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      std::string& buf = inst->out.Take(kSlotDescribe);
      Status s = static_cast<B&>(inst->plugin).Describe(c, &buf);
      Emit(buf, out);
      return Finish(call, s);
    });
  }

  static capstan_rc OnReconcile(capstan_plugin_state* state, capstan_call* call,
                                capstan_host_str key, uint64_t* out_requeue_after_ms) noexcept {
    if (out_requeue_after_ms != nullptr) *out_requeue_after_ms = 0;
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      uint64_t requeue = 0;
      Status s = static_cast<B&>(inst->plugin).Reconcile(c, ToView(key), &requeue);
      if (out_requeue_after_ms != nullptr) *out_requeue_after_ms = requeue;
      return Finish(call, s);
    });
  }

  static capstan_rc OnMapEvent(capstan_plugin_state* state, capstan_call* call,
                               capstan_host_str resource, uint32_t event_type,
                               capstan_host_buf object_json, capstan_plugin_buf* out) noexcept {
    ClearOut(out);
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      std::string& buf = inst->out.Take(kSlotMapEvent);
      Status s = static_cast<B&>(inst->plugin)
                     .MapEvent(c, ToView(resource), static_cast<EventType>(event_type),
                               ToView(object_json), &buf);
      Emit(buf, out);
      return Finish(call, s);
    });
  }

  static constexpr capstan_controller_v1 kVtable = {
      sizeof(capstan_controller_v1), 0, &OnDescribe, &OnReconcile,
      CAPSTAN_SDK_OPTIONAL(D, B, MapEvent, &OnMapEvent)};
  static constexpr capstan_kind_descriptor Kind() {
    return {sizeof(capstan_kind_descriptor),
            CAPSTAN_KIND_CONTROLLER,
            CAPSTAN_CONTROLLER_IFACE_MAJOR,
            CAPSTAN_CONTROLLER_IFACE_MINOR,
            0,
            &kVtable};
  }
};

}  // namespace internal
}  // namespace capstan::sdk

#endif  // CAPSTAN_SDK_CONTROLLER_H_
