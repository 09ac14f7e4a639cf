// Kind tables for kinds.h: entry names, offsets and required flags per vtable.
#include "core/plugin/kinds.h"

#include <cstring>

namespace capstan::plugin {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kShortTimeout = 1 * kSecond;
constexpr int64_t kLongTimeout = 5 * 60 * kSecond;

#define CAPSTAN_ENTRY(type, field, required) \
  EntryInfo { #field, offsetof(type, field), required }

constexpr EntryInfo kAuthnEntries[] = {
    CAPSTAN_ENTRY(capstan_authn_v1, on_authenticate, true),
};
constexpr EntryInfo kAuthzEntries[] = {
    CAPSTAN_ENTRY(capstan_authz_v1, on_authorize, true),
};
constexpr EntryInfo kAdmissionEntries[] = {
    CAPSTAN_ENTRY(capstan_admission_v1, on_mutate, false),
    CAPSTAN_ENTRY(capstan_admission_v1, on_validate, false),
};
constexpr EntryInfo kSchedEntries[] = {
    CAPSTAN_ENTRY(capstan_sched_v1, on_queue_less, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_pre_filter, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_filter, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_post_filter, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_pre_score, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_score, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_normalize_score, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_reserve, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_unreserve, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_permit, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_pre_bind, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_bind, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_post_bind, false),
    CAPSTAN_ENTRY(capstan_sched_v1, on_score_nodes, false),
};
constexpr EntryInfo kControllerEntries[] = {
    CAPSTAN_ENTRY(capstan_controller_v1, on_describe, true),
    CAPSTAN_ENTRY(capstan_controller_v1, on_reconcile, true),
    CAPSTAN_ENTRY(capstan_controller_v1, on_map_event, false),
};
constexpr EntryInfo kCniEntries[] = {
    CAPSTAN_ENTRY(capstan_cni_v1, on_add, true),    CAPSTAN_ENTRY(capstan_cni_v1, on_del, true),
    CAPSTAN_ENTRY(capstan_cni_v1, on_check, false), CAPSTAN_ENTRY(capstan_cni_v1, on_status, false),
    CAPSTAN_ENTRY(capstan_cni_v1, on_gc, false),
};
constexpr EntryInfo kCsiEntries[] = {
    CAPSTAN_ENTRY(capstan_csi_v1, on_get_plugin_info, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_get_plugin_capabilities, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_probe, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_create_volume, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_delete_volume, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_controller_publish_volume, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_controller_unpublish_volume, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_validate_volume_capabilities, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_controller_expand_volume, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_controller_get_capabilities, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_node_stage_volume, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_node_unstage_volume, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_node_publish_volume, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_node_unpublish_volume, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_node_expand_volume, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_node_get_volume_stats, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_node_get_capabilities, false),
    CAPSTAN_ENTRY(capstan_csi_v1, on_node_get_info, false),
};
constexpr EntryInfo kRuntimeEntries[] = {
    CAPSTAN_ENTRY(capstan_runtime_v1, on_run_pod_sandbox, true),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_stop_pod_sandbox, true),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_remove_pod_sandbox, true),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_pod_sandbox_status, true),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_create_container, true),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_start_container, true),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_stop_container, true),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_remove_container, true),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_container_status, true),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_list_pod_sandboxes, false),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_list_containers, false),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_exec_sync, false),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_reopen_container_log, false),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_exec, false),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_update_container_resources, false),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_list_container_stats, false),
    CAPSTAN_ENTRY(capstan_runtime_v1, on_attach, false),
};

#undef CAPSTAN_ENTRY

const KindTraits kKinds[] = {
    {CAPSTAN_KIND_AUTHN, "authn", CAPSTAN_AUTHN_IFACE_MAJOR, CAPSTAN_AUTHN_IFACE_MINOR,
     sizeof(capstan_authn_v1), kShortTimeout, kAuthnEntries, false},
    {CAPSTAN_KIND_AUTHZ, "authz", CAPSTAN_AUTHZ_IFACE_MAJOR, CAPSTAN_AUTHZ_IFACE_MINOR,
     sizeof(capstan_authz_v1), kShortTimeout, kAuthzEntries, false},
    {CAPSTAN_KIND_ADMISSION, "admission", CAPSTAN_ADMISSION_IFACE_MAJOR,
     CAPSTAN_ADMISSION_IFACE_MINOR, sizeof(capstan_admission_v1), kShortTimeout, kAdmissionEntries,
     true},
    {CAPSTAN_KIND_SCHED, "sched", CAPSTAN_SCHED_IFACE_MAJOR, CAPSTAN_SCHED_IFACE_MINOR,
     sizeof(capstan_sched_v1), kShortTimeout, kSchedEntries, false},
    {CAPSTAN_KIND_CONTROLLER, "controller", CAPSTAN_CONTROLLER_IFACE_MAJOR,
     CAPSTAN_CONTROLLER_IFACE_MINOR, sizeof(capstan_controller_v1), kShortTimeout,
     kControllerEntries, false},
    {CAPSTAN_KIND_CNI, "cni", CAPSTAN_CNI_IFACE_MAJOR, CAPSTAN_CNI_IFACE_MINOR,
     sizeof(capstan_cni_v1), kLongTimeout, kCniEntries, false},
    {CAPSTAN_KIND_CSI, "csi", CAPSTAN_CSI_IFACE_MAJOR, CAPSTAN_CSI_IFACE_MINOR,
     sizeof(capstan_csi_v1), kLongTimeout, kCsiEntries, false},
    {CAPSTAN_KIND_RUNTIME, "runtime", CAPSTAN_RUNTIME_IFACE_MAJOR, CAPSTAN_RUNTIME_IFACE_MINOR,
     sizeof(capstan_runtime_v1), kLongTimeout, kRuntimeEntries, false},
};

}  // namespace

std::span<const KindTraits> AllKinds() { return kKinds; }

const KindTraits* FindKind(uint32_t id) {
  for (const KindTraits& k : kKinds) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

const KindTraits* FindKindByName(std::string_view name) {
  for (const KindTraits& k : kKinds) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string KindName(uint32_t id) {
  const KindTraits* k = FindKind(id);
  return k != nullptr ? std::string(k->name) : "kind#" + std::to_string(id);
}

void* VtableSlot(VtableCopies& copies, uint32_t kind) {
  return const_cast<void*>(VtableSlot(static_cast<const VtableCopies&>(copies), kind));
}

const void* VtableSlot(const VtableCopies& copies, uint32_t kind) {
  switch (kind) {
    case CAPSTAN_KIND_AUTHN:
      return &copies.authn;
    case CAPSTAN_KIND_AUTHZ:
      return &copies.authz;
    case CAPSTAN_KIND_ADMISSION:
      return &copies.admission;
    case CAPSTAN_KIND_SCHED:
      return &copies.sched;
    case CAPSTAN_KIND_CONTROLLER:
      return &copies.controller;
    case CAPSTAN_KIND_CNI:
      return &copies.cni;
    case CAPSTAN_KIND_CSI:
      return &copies.csi;
    case CAPSTAN_KIND_RUNTIME:
      return &copies.runtime;
    default:
      return nullptr;
  }
}

bool EntryImplemented(const void* vtable_copy, const EntryInfo& entry) {
  capstan_host_proc fn = nullptr;  // any function-pointer type has the same size here
  std::memcpy(&fn, static_cast<const char*>(vtable_copy) + entry.offset, sizeof(fn));
  return fn != nullptr;
}

}  // namespace capstan::plugin
