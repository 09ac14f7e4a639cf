// Volume plugins (CAPSTAN_KIND_CSI, capstan/abi/csi.h): `CsiPlugin` to derive from — one method
// per CSI RPC taking the request message and producing the response message as proto3-mapped
// JSON ("volumeId", "volumeCapabilities"...) — and the export trampolines used by CAPSTAN_PLUGIN
// (plugin.h). Every RPC is optional: one you do not override is NULL (UNIMPLEMENTED) in the
// vtable. Header-only, C++17.
#ifndef CAPSTAN_SDK_CSI_H_
#define CAPSTAN_SDK_CSI_H_

#include <string>
#include <string_view>

#include "capstan/abi/csi.h"
#include "capstan/sdk/call.h"
#include "capstan/sdk/internal/bridge.h"
#include "capstan/sdk/status.h"

namespace capstan::sdk {

#define CAPSTAN_SDK_CSI_RPC(Method)                                                              \
  virtual Status Method(Call& call, std::string_view request_json, std::string* response_json) { \
    (void)call, (void)request_json, (void)response_json;                                         \
    return Status::Unimplemented(#Method);                                                       \
  }

// Derive from this and override the RPCs your driver supports; advertise them through
// GetPluginCapabilities / ControllerGetCapabilities / NodeGetCapabilities as CSI requires.
// Codes follow CSI's gRPC codes: INVALID (INVALID_ARGUMENT), NOT_FOUND, ALREADY_EXISTS,
// RETRY_LATER (ABORTED), UNAVAILABLE, DEADLINE_EXCEEDED, ERROR (INTERNAL).
// Threading: calls for different volumes run concurrently with CAPSTAN_CAP_THREAD_SAFE; the host
// never runs two calls for one volume at once.
class CsiPlugin {
 public:
  virtual ~CsiPlugin() = default;

  // Identity service.
  CAPSTAN_SDK_CSI_RPC(GetPluginInfo)
  CAPSTAN_SDK_CSI_RPC(GetPluginCapabilities)
  CAPSTAN_SDK_CSI_RPC(Probe)
  // Controller service.
  CAPSTAN_SDK_CSI_RPC(CreateVolume)
  CAPSTAN_SDK_CSI_RPC(DeleteVolume)
  CAPSTAN_SDK_CSI_RPC(ControllerPublishVolume)
  CAPSTAN_SDK_CSI_RPC(ControllerUnpublishVolume)
  CAPSTAN_SDK_CSI_RPC(ValidateVolumeCapabilities)
  CAPSTAN_SDK_CSI_RPC(ControllerExpandVolume)
  CAPSTAN_SDK_CSI_RPC(ControllerGetCapabilities)
  // Node service.
  CAPSTAN_SDK_CSI_RPC(NodeStageVolume)
  CAPSTAN_SDK_CSI_RPC(NodeUnstageVolume)
  CAPSTAN_SDK_CSI_RPC(NodePublishVolume)
  CAPSTAN_SDK_CSI_RPC(NodeUnpublishVolume)
  CAPSTAN_SDK_CSI_RPC(NodeExpandVolume)
  CAPSTAN_SDK_CSI_RPC(NodeGetVolumeStats)
  CAPSTAN_SDK_CSI_RPC(NodeGetCapabilities)
  CAPSTAN_SDK_CSI_RPC(NodeGetInfo)
};

#undef CAPSTAN_SDK_CSI_RPC

namespace internal {

#define CAPSTAN_SDK_CSI_CHECK(Method) \
  CAPSTAN_SDK_CHECK_SIGNATURE(        \
      D, CsiPlugin, Method,           \
      "Status " #Method "(Call&, std::string_view request_json, std::string* response_json)");
#define CAPSTAN_SDK_CSI_ENTRY(Method, index) \
  CAPSTAN_SDK_OPTIONAL(D, CsiPlugin, Method, \
                       (&JsonRpc<D, CsiPlugin, kSlotCsiFirst + (index), &CsiPlugin::Method>))

template <typename D>
struct CsiBridge {
  CAPSTAN_SDK_CSI_CHECK(GetPluginInfo)
  CAPSTAN_SDK_CSI_CHECK(GetPluginCapabilities)
  CAPSTAN_SDK_CSI_CHECK(Probe)
  CAPSTAN_SDK_CSI_CHECK(CreateVolume)
  CAPSTAN_SDK_CSI_CHECK(DeleteVolume)
  CAPSTAN_SDK_CSI_CHECK(ControllerPublishVolume)
  CAPSTAN_SDK_CSI_CHECK(ControllerUnpublishVolume)
  CAPSTAN_SDK_CSI_CHECK(ValidateVolumeCapabilities)
  CAPSTAN_SDK_CSI_CHECK(ControllerExpandVolume)
  CAPSTAN_SDK_CSI_CHECK(ControllerGetCapabilities)
  CAPSTAN_SDK_CSI_CHECK(NodeStageVolume)
  CAPSTAN_SDK_CSI_CHECK(NodeUnstageVolume)
  CAPSTAN_SDK_CSI_CHECK(NodePublishVolume)
  CAPSTAN_SDK_CSI_CHECK(NodeUnpublishVolume)
  CAPSTAN_SDK_CSI_CHECK(NodeExpandVolume)
  CAPSTAN_SDK_CSI_CHECK(NodeGetVolumeStats)
  CAPSTAN_SDK_CSI_CHECK(NodeGetCapabilities)
  CAPSTAN_SDK_CSI_CHECK(NodeGetInfo)

  // Positional, in the order of `capstan_csi_v1`.
  static constexpr capstan_csi_v1 kVtable = {
      sizeof(capstan_csi_v1),
      0,
      CAPSTAN_SDK_CSI_ENTRY(GetPluginInfo, 0),
      CAPSTAN_SDK_CSI_ENTRY(GetPluginCapabilities, 1),
      CAPSTAN_SDK_CSI_ENTRY(Probe, 2),
      CAPSTAN_SDK_CSI_ENTRY(CreateVolume, 3),
      CAPSTAN_SDK_CSI_ENTRY(DeleteVolume, 4),
      CAPSTAN_SDK_CSI_ENTRY(ControllerPublishVolume, 5),
      CAPSTAN_SDK_CSI_ENTRY(ControllerUnpublishVolume, 6),
      CAPSTAN_SDK_CSI_ENTRY(ValidateVolumeCapabilities, 7),
      CAPSTAN_SDK_CSI_ENTRY(ControllerExpandVolume, 8),
      CAPSTAN_SDK_CSI_ENTRY(ControllerGetCapabilities, 9),
      CAPSTAN_SDK_CSI_ENTRY(NodeStageVolume, 10),
      CAPSTAN_SDK_CSI_ENTRY(NodeUnstageVolume, 11),
      CAPSTAN_SDK_CSI_ENTRY(NodePublishVolume, 12),
      CAPSTAN_SDK_CSI_ENTRY(NodeUnpublishVolume, 13),
      CAPSTAN_SDK_CSI_ENTRY(NodeExpandVolume, 14),
      CAPSTAN_SDK_CSI_ENTRY(NodeGetVolumeStats, 15),
      CAPSTAN_SDK_CSI_ENTRY(NodeGetCapabilities, 16),
      CAPSTAN_SDK_CSI_ENTRY(NodeGetInfo, 17),
  };
  static_assert(kSlotCsiFirst + 18 <= kSlotRuntimeFirst, "CSI output slots overlap");

  static constexpr capstan_kind_descriptor Kind() {
    return {sizeof(capstan_kind_descriptor),
            CAPSTAN_KIND_CSI,
            CAPSTAN_CSI_IFACE_MAJOR,
            CAPSTAN_CSI_IFACE_MINOR,
            0,
            &kVtable};
  }
};

#undef CAPSTAN_SDK_CSI_CHECK
#undef CAPSTAN_SDK_CSI_ENTRY

}  // namespace internal
}  // namespace capstan::sdk

#endif  // CAPSTAN_SDK_CSI_H_
