// The one include a plugin's export file needs: every kind's base class and the
// CAPSTAN_PLUGIN macro, which generates the single exported entry `capstan_plugin_entry` with a
// static descriptor, per-kind vtables and noexcept trampolines (convention 2 and 10 of
// capstan/abi/common.h). `BuildDescriptor<Class>` is the same table without the export, for
// tests (capstan/sdk/testing/harness.h). Header-only, C++17.
#ifndef CAPSTAN_SDK_PLUGIN_H_
#define CAPSTAN_SDK_PLUGIN_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>

#include "capstan/abi/abi.h"
#include "capstan/sdk/admission.h"
#include "capstan/sdk/authn.h"
#include "capstan/sdk/authz.h"
#include "capstan/sdk/call.h"
#include "capstan/sdk/cni.h"
#include "capstan/sdk/controller.h"
#include "capstan/sdk/csi.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/internal/bridge.h"
#include "capstan/sdk/runtime.h"
#include "capstan/sdk/sched.h"
#include "capstan/sdk/status.h"

namespace capstan::sdk {

// What CAPSTAN_PLUGIN puts in the descriptor besides the kinds. Strings must be static.
struct PluginInfo {
  const char* name;           // required, [a-z0-9][a-z0-9._-]*
  const char* version;        // required, semver of the plugin
  const char* description;    // optional, one line
  const char* config_schema;  // optional JSON Schema (draft 7); NULL accepts any object
  uint64_t capabilities;      // CAPSTAN_CAP_* flags
};

namespace internal {

// ---- Optional lifecycle hooks, found by name on the plugin class ----
//   Status Init(const Host& host, std::string_view config_json);  // config is schema-valid
//   Status Health(Call& call);                                     // OK ready, UNAVAILABLE not

template <typename D, typename = void>
struct HasInit : std::false_type {};
template <typename D>
struct HasInit<D, std::void_t<decltype(&D::Init)>> : std::true_type {};
template <typename D, typename = void>
struct HasHealth : std::false_type {};
template <typename D>
struct HasHealth<D, std::void_t<decltype(&D::Health)>> : std::true_type {};

template <typename D>
constexpr bool InitSignatureOk() {
  if constexpr (HasInit<D>::value) {
    using M = MemberFn<decltype(&D::Init)>;
    if constexpr (!M::kIsMember) {
      return false;
    } else {
      return std::is_same_v<typename M::Sig, Status(const Host&, std::string_view)> &&
             !M::kQualified;
    }
  }
  return true;
}
template <typename D>
constexpr bool HealthSignatureOk() {
  if constexpr (HasHealth<D>::value) {
    using M = MemberFn<decltype(&D::Health)>;
    if constexpr (!M::kIsMember) {
      return false;
    } else {
      return std::is_same_v<typename M::Sig, Status(Call&)> && !M::kQualified;
    }
  }
  return true;
}

template <typename D>
struct Lifecycle {
  static capstan_rc OnInit(const capstan_host* host, capstan_host_buf config, capstan_call* call,
                           capstan_plugin_state** out_state) noexcept {
    if (out_state != nullptr) *out_state = nullptr;
    return Guard(call, [&]() -> capstan_rc {
      if (out_state == nullptr) {
        WriteError(call, "on_init: out_state is NULL");
        return CAPSTAN_RC_INVALID;
      }
      auto inst = std::make_unique<Instance<D>>(host);
      if constexpr (HasInit<D>::value) {
        Status s = inst->plugin.Init(inst->host, ToView(config));
        if (!s.ok()) return Finish(call, s);
      }
      *out_state = inst.release()->AsState();
      return CAPSTAN_RC_OK;
    });
  }

  static void OnDestroy(capstan_plugin_state* state) noexcept {
    // Destructors are noexcept by default; a throwing one terminates, as it would anywhere.
    delete Instance<D>::From(state);
  }

  static capstan_rc OnHealth(capstan_plugin_state* state, capstan_call* call) noexcept {
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      return Finish(call, inst->plugin.Health(c));
    });
  }
};

template <typename D>
constexpr size_t KindCount() {
  return size_t{std::is_base_of_v<AuthnPlugin, D>} + size_t{std::is_base_of_v<AuthzPlugin, D>} +
         size_t{std::is_base_of_v<AdmissionPlugin, D>} + size_t{std::is_base_of_v<SchedPlugin, D>} +
         size_t{std::is_base_of_v<ControllerPlugin, D>} + size_t{std::is_base_of_v<CniPlugin, D>} +
         size_t{std::is_base_of_v<CsiPlugin, D>} + size_t{std::is_base_of_v<RuntimePlugin, D>};
}

template <typename D>
struct KindTable {
  static constexpr std::array<capstan_kind_descriptor, KindCount<D>()> Build() {
    std::array<capstan_kind_descriptor, KindCount<D>()> kinds{};
    size_t i = 0;
    if constexpr (std::is_base_of_v<AuthnPlugin, D>) kinds[i++] = AuthnBridge<D>::Kind();
    if constexpr (std::is_base_of_v<AuthzPlugin, D>) kinds[i++] = AuthzBridge<D>::Kind();
    if constexpr (std::is_base_of_v<AdmissionPlugin, D>) kinds[i++] = AdmissionBridge<D>::Kind();
    if constexpr (std::is_base_of_v<SchedPlugin, D>) kinds[i++] = SchedBridge<D>::Kind();
    if constexpr (std::is_base_of_v<ControllerPlugin, D>) kinds[i++] = ControllerBridge<D>::Kind();
    if constexpr (std::is_base_of_v<CniPlugin, D>) kinds[i++] = CniBridge<D>::Kind();
    if constexpr (std::is_base_of_v<CsiPlugin, D>) kinds[i++] = CsiBridge<D>::Kind();
    if constexpr (std::is_base_of_v<RuntimePlugin, D>) kinds[i++] = RuntimeBridge<D>::Kind();
    (void)i;
    return kinds;
  }
  static constexpr std::array<capstan_kind_descriptor, KindCount<D>()> kKinds = Build();
};

// The descriptor CAPSTAN_PLUGIN exports for class `D`. Checks the class at compile time.
template <typename D>
capstan_plugin_descriptor BuildDescriptor(const PluginInfo& info) {
  static_assert(KindCount<D>() > 0,
                "capstan::sdk: the plugin class must derive from at least one kind base "
                "(AuthnPlugin, AuthzPlugin, AdmissionPlugin, SchedPlugin, ControllerPlugin, "
                "CniPlugin, CsiPlugin, RuntimePlugin)");
  static_assert(!std::is_abstract_v<D>,
                "capstan::sdk: the plugin class does not override every required method of its "
                "kind bases. Required: Authenticate (authn), Authorize (authz), Describe and "
                "Reconcile (controller), CniAdd and CniDel (cni), the nine sandbox/container "
                "lifecycle calls (runtime); admission needs Mutate or Validate");
  static_assert(std::is_abstract_v<D> || std::is_default_constructible_v<D>,
                "capstan::sdk: the plugin class must be default-constructible; take the "
                "configuration in `Status Init(const Host&, std::string_view config_json)`");
  static_assert(InitSignatureOk<D>(),
                "capstan::sdk: `Init` must be declared exactly as "
                "`Status Init(const Host& host, std::string_view config_json)`");
  static_assert(HealthSignatureOk<D>(),
                "capstan::sdk: `Health` must be declared exactly as `Status Health(Call& call)`");

  capstan_plugin_descriptor d{};
  d.struct_size = sizeof(capstan_plugin_descriptor);
  d.abi_major = CAPSTAN_ABI_MAJOR;
  d.abi_minor = CAPSTAN_ABI_MINOR;
  d.name = info.name;
  d.version = info.version;
  d.description = info.description;
  d.config_schema = info.config_schema;
  d.capabilities = info.capabilities;
  d.kind_count = static_cast<uint32_t>(KindCount<D>());
  d.kinds = KindTable<D>::kKinds.data();
  d.on_init = &Lifecycle<D>::OnInit;
  d.on_destroy = &Lifecycle<D>::OnDestroy;
  if constexpr (HasHealth<D>::value) d.on_health = &Lifecycle<D>::OnHealth;
  return d;
}

}  // namespace internal
}  // namespace capstan::sdk

// Exports plugin class `Class` (default-constructible, deriving from one or more kind bases) as
// this library's only entry symbol. Use once per `.so`, at namespace scope, in plugin.cc:
//   CAPSTAN_PLUGIN(my::TokenAuthn, "my-token", "1.2.0", "Static bearer tokens", kSchema,
//                  CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE)
// `schema` may be nullptr. Build with -fvisibility=hidden so nothing else is exported.
#define CAPSTAN_PLUGIN(Class, name, version, description, schema, capabilities)            \
  extern "C" __attribute__((visibility("default"))) const capstan_plugin_descriptor*       \
  capstan_plugin_entry(void) noexcept {                                                    \
    static const capstan_plugin_descriptor kCapstanDescriptor =                            \
        ::capstan::sdk::internal::BuildDescriptor<Class>(                                  \
            ::capstan::sdk::PluginInfo{name, version, description, schema, capabilities}); \
    return &kCapstanDescriptor;                                                            \
  }                                                                                        \
  static_assert(true, "require a semicolon after CAPSTAN_PLUGIN(...)")

#endif  // CAPSTAN_SDK_PLUGIN_H_
