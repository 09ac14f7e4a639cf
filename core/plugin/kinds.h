// Static facts about each plugin kind of the ABI (sdk/include/capstan/abi/*.h): its name, host
// interface version, default per-call timeout, and the entries of its vtable with their offsets
// and whether they are required. Used by descriptor.cc (validation), describe.cc (inspect) and
// chain_config.cc (kind names). Tests in tests/core/plugin/kinds_test.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "capstan/abi/abi.h"

namespace capstan::plugin {

// One function pointer of a kind's vtable.
struct EntryInfo {
  std::string_view name;  // e.g. "on_authenticate"
  size_t offset;          // offsetof in the kind's vtable struct
  bool required;
};

struct KindTraits {
  uint32_t id;            // CAPSTAN_KIND_*
  std::string_view name;  // "authn", "authz", ... as used in the operator configuration
  uint16_t iface_major;   // the host's interface version for this kind (header constants)
  uint16_t iface_minor;
  size_t host_vtable_size;     // sizeof the vtable struct the host was compiled with
  int64_t default_timeout_ns;  // per-call timeout when the operator sets none
  std::span<const EntryInfo> entries;
  // When true, at least one entry must be implemented (admission: mutator or validator).
  bool needs_any_entry;
};

// Every vtable begins with `uint32_t struct_size; uint32_t reserved0;`.
inline constexpr uint32_t kMinVtableSize = 8;

// All kinds the host knows, ordered by id.
std::span<const KindTraits> AllKinds();
// NULL for an unknown id or name.
const KindTraits* FindKind(uint32_t id);
const KindTraits* FindKindByName(std::string_view name);
// "authn" for known ids, "kind#42" otherwise.
std::string KindName(uint32_t id);

// The host-side copies of every kind's vtable; all fields start zeroed (NULL = unimplemented).
struct VtableCopies {
  capstan_authn_v1 authn{};
  capstan_authz_v1 authz{};
  capstan_admission_v1 admission{};
  capstan_sched_v1 sched{};
  capstan_controller_v1 controller{};
  capstan_cni_v1 cni{};
  capstan_csi_v1 csi{};
  capstan_runtime_v1 runtime{};
};

// The copy for `kind` inside `copies` (NULL for an unknown kind).
void* VtableSlot(VtableCopies& copies, uint32_t kind);
const void* VtableSlot(const VtableCopies& copies, uint32_t kind);

// Whether the entry at `entry.offset` of a host-side vtable copy is non-NULL.
bool EntryImplemented(const void* vtable_copy, const EntryInfo& entry);

}  // namespace capstan::plugin
