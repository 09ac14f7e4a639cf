// Reading a plugin's descriptor safely (ABI conventions 3 and 4 in capstan/abi/common.h): copies
// the descriptor, kind descriptors and vtables into zeroed host-side structs using
// min(struct_size, sizeof), negotiates versions and validates every field. Pure: no dlopen here
// (library.cc does that). Tests in tests/core/plugin/descriptor_test.cc.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capstan/abi/common.h"
#include "core/common/status.h"
#include "core/plugin/kinds.h"

namespace capstan::plugin {

// The ABI and per-kind interface versions the host implements. Defaults are the header constants;
// tests inject other values to simulate a newer or older host.
struct HostVersions {
  struct Version {
    uint16_t major = 0;
    uint16_t minor = 0;
  };
  Version abi{CAPSTAN_ABI_MAJOR, CAPSTAN_ABI_MINOR};
  // Indexed by CAPSTAN_KIND_* (index 0 unused).
  std::array<Version, 9> kinds = DefaultKindVersions();

  static std::array<Version, 9> DefaultKindVersions();
  // Sets every kind's minor (convenience for tests simulating a newer host).
  HostVersions& WithAllMinors(uint16_t minor);
};

struct LoaderOptions {
  HostVersions versions;
};

// One implemented kind, with the host-side copy of its vtable (lives in `PluginInfo::vtables`).
struct KindInfo {
  uint32_t kind = 0;
  uint16_t iface_major = 0;
  uint16_t iface_minor = 0;
  uint32_t plugin_vtable_size = 0;  // the vtable's struct_size as the plugin compiled it
  const KindTraits* traits = nullptr;
};

// Everything the host keeps from a descriptor. Strings are copied; function pointers point into
// the (never unloaded) library. Immutable after ReadDescriptor; shareable across threads.
struct PluginInfo {
  std::string name;
  std::string version;
  std::string description;
  std::string config_schema;  // empty when the plugin has none
  bool has_config_schema = false;
  uint16_t abi_major = 0;
  uint16_t abi_minor = 0;
  uint32_t descriptor_size = 0;  // the descriptor's struct_size as the plugin compiled it
  uint64_t capabilities = 0;
  std::vector<KindInfo> kinds;
  // Zero-initialised copies; entries beyond a vtable's struct_size are NULL.
  std::unique_ptr<VtableCopies> vtables = std::make_unique<VtableCopies>();
  capstan_plugin_descriptor descriptor{};  // host copy; `kinds` points into the plugin

  bool thread_safe() const { return (capabilities & CAPSTAN_CAP_THREAD_SAFE) != 0; }
  bool multi_instance() const { return (capabilities & CAPSTAN_CAP_MULTI_INSTANCE) != 0; }
  const KindInfo* FindKind(uint32_t kind) const;
  // The host copy of `kind`'s vtable, or NULL when the plugin does not implement `kind`.
  const void* vtable(uint32_t kind) const;
};

// Copies and validates `descriptor` (the pointer returned by the entry symbol). `origin` names the
// file in messages. Errors (kInvalid), each prefixed "loading plugin 'name' from origin: " (or
// "loading plugin from origin: " before the name is known):
//   entry returned NULL; struct_size too small; ABI major differs / plugin minor above the host's;
//   name NULL, empty or not [a-z0-9][a-z0-9._-]*; version NULL or empty; on_init/on_destroy NULL;
//   no kinds, kind_count > 0 with NULL kinds, unknown or duplicate kind, kind interface version
//   incompatible, NULL vtable, vtable struct_size below its 8-byte header, a required entry NULL.
// The schema text is copied, not compiled (schema.h does that).
Result<PluginInfo> ReadDescriptor(const capstan_plugin_descriptor* descriptor,
                                  const std::string& origin, const LoaderOptions& options);

// Whether `name` is [a-z0-9][a-z0-9._-]* and at most 253 bytes (plugin and instance names).
bool IsValidPluginName(std::string_view name);

// "thread-safe", "multi-instance" and "0x…" for unknown bits.
std::vector<std::string> CapabilityNames(uint64_t capabilities);

}  // namespace capstan::plugin
