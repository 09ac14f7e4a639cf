// Pod networking plugins (CAPSTAN_KIND_CNI, capstan/abi/cni.h): `CniPlugin` to derive from,
// `CniRequest` (the CNI_* parameters and network configuration) and the export trampolines used
// by CAPSTAN_PLUGIN (plugin.h). Documents follow the CNI 1.1.0 spec. Header-only, C++17.
#ifndef CAPSTAN_SDK_CNI_H_
#define CAPSTAN_SDK_CNI_H_

#include <string>
#include <string_view>

#include "capstan/abi/cni.h"
#include "capstan/sdk/call.h"
#include "capstan/sdk/internal/bridge.h"
#include "capstan/sdk/status.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk {

// A borrowed view of `capstan_cni_request`, valid for the call.
class CniRequest {
 public:
  explicit CniRequest(const capstan_cni_request* raw) : raw_(raw) {}

#define CAPSTAN_SDK_CNI_STR(field)                                                       \
  std::string_view field() const {                                                       \
    return CAPSTAN_SDK_HAS_FIELD(raw_, capstan_cni_request, field) ? ToView(raw_->field) \
                                                                   : std::string_view(); \
  }
  CAPSTAN_SDK_CNI_STR(container_id)
  CAPSTAN_SDK_CNI_STR(netns)
  CAPSTAN_SDK_CNI_STR(ifname)
  CAPSTAN_SDK_CNI_STR(args)
  // cniVersion, name, type, the plugin's keys, runtimeConfig, prevResult (in chains).
  CAPSTAN_SDK_CNI_STR(config_json)
#undef CAPSTAN_SDK_CNI_STR

  // The value of `key` in CNI_ARGS ("K8S_POD_NAME=web;K8S_POD_NAMESPACE=default"), or empty.
  std::string_view Arg(std::string_view key) const {
    std::string_view rest = args();
    while (!rest.empty()) {
      size_t end = rest.find(';');
      std::string_view pair = rest.substr(0, end);
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == key) return pair.substr(eq + 1);
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
    return {};
  }
  const capstan_cni_request* raw() const { return raw_; }

 private:
  const capstan_cni_request* raw_;
};

// Derive from this to attach pods to networks. Threading: calls for different containers run
// concurrently with CAPSTAN_CAP_THREAD_SAFE; calls for one container ID never do. Return
// RETRY_LATER for CNI's "try again later" (11) and UNAVAILABLE for "not available" (50).
class CniPlugin {
 public:
  virtual ~CniPlugin() = default;

  // Required. ADD: attach; a CNI result document (cniVersion, interfaces, ips, routes, dns) in
  // `*result_json`.
  virtual Status CniAdd(Call& call, const CniRequest& request, std::string* result_json) = 0;
  // Required. DEL: detach; OK when already absent (DEL may be repeated).
  virtual Status CniDel(Call& call, const CniRequest& request) = 0;
  // Optional. CHECK: the attachment still matches `prevResult`.
  virtual Status CniCheck(Call& call, const CniRequest& request) {
    (void)call, (void)request;
    return Status::Unimplemented();
  }
  // Optional. STATUS: OK when ready to ADD, UNAVAILABLE otherwise.
  virtual Status CniStatus(Call& call, const CniRequest& request) {
    (void)call, (void)request;
    return Status::Unimplemented();
  }
  // Optional. GC: release everything not in "cni.dev/valid-attachments"; continue past errors.
  virtual Status CniGc(Call& call, const CniRequest& request) {
    (void)call, (void)request;
    return Status::Unimplemented();
  }
};

namespace internal {

template <typename D>
struct CniBridge {
  using B = CniPlugin;
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, CniAdd,
                              "Status CniAdd(Call&, const CniRequest&, std::string*)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, CniDel, "Status CniDel(Call&, const CniRequest&)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, CniCheck, "Status CniCheck(Call&, const CniRequest&)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, CniStatus, "Status CniStatus(Call&, const CniRequest&)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, CniGc, "Status CniGc(Call&, const CniRequest&)");

  static capstan_rc OnAdd(capstan_plugin_state* state, capstan_call* call,
                          const capstan_cni_request* request, capstan_plugin_buf* out) noexcept {
    ClearOut(out);
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      std::string& buf = inst->out.Take(kSlotCniAdd);
      Status s = static_cast<B&>(inst->plugin).CniAdd(c, CniRequest(request), &buf);
      Emit(buf, out);
      return Finish(call, s);
    });
  }

  template <Status (B::*M)(Call&, const CniRequest&)>
  static capstan_rc OnOp(capstan_plugin_state* state, capstan_call* call,
                         const capstan_cni_request* request) noexcept {
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      return Finish(call, (static_cast<B&>(inst->plugin).*M)(c, CniRequest(request)));
    });
  }

  static constexpr capstan_cni_v1 kVtable = {
      sizeof(capstan_cni_v1),
      0,
      &OnAdd,
      &OnOp<&B::CniDel>,
      CAPSTAN_SDK_OPTIONAL(D, B, CniCheck, &OnOp<&B::CniCheck>),
      CAPSTAN_SDK_OPTIONAL(D, B, CniStatus, &OnOp<&B::CniStatus>),
      CAPSTAN_SDK_OPTIONAL(D, B, CniGc, &OnOp<&B::CniGc>),
  };
  static constexpr capstan_kind_descriptor Kind() {
    return {sizeof(capstan_kind_descriptor),
            CAPSTAN_KIND_CNI,
            CAPSTAN_CNI_IFACE_MAJOR,
            CAPSTAN_CNI_IFACE_MINOR,
            0,
            &kVtable};
  }
};

}  // namespace internal
}  // namespace capstan::sdk

#endif  // CAPSTAN_SDK_CNI_H_
