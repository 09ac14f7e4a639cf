// Authorization plugins (CAPSTAN_KIND_AUTHZ, capstan/abi/authz.h): `AuthzPlugin` to derive from,
// `AuthzAttributes` (a view of the request attributes) and the export trampolines used by
// CAPSTAN_PLUGIN (plugin.h). Header-only, C++17.
#ifndef CAPSTAN_SDK_AUTHZ_H_
#define CAPSTAN_SDK_AUTHZ_H_

#include <string>
#include <string_view>

#include "capstan/abi/authz.h"
#include "capstan/sdk/call.h"
#include "capstan/sdk/internal/bridge.h"
#include "capstan/sdk/status.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk {

// A borrowed view of `capstan_authz_attributes` (Kubernetes' authorizer.Attributes), valid for
// the call. Unused or unknown fields read as empty.
class AuthzAttributes {
 public:
  explicit AuthzAttributes(const capstan_authz_attributes* raw) : raw_(raw) {}

#define CAPSTAN_SDK_AUTHZ_STR(field)                                                          \
  std::string_view field() const {                                                            \
    return CAPSTAN_SDK_HAS_FIELD(raw_, capstan_authz_attributes, field) ? ToView(raw_->field) \
                                                                        : std::string_view(); \
  }
  CAPSTAN_SDK_AUTHZ_STR(user)
  CAPSTAN_SDK_AUTHZ_STR(uid)
  CAPSTAN_SDK_AUTHZ_STR(extra_json)
  CAPSTAN_SDK_AUTHZ_STR(verb)
  CAPSTAN_SDK_AUTHZ_STR(api_group)
  CAPSTAN_SDK_AUTHZ_STR(api_version)
  CAPSTAN_SDK_AUTHZ_STR(resource)
  CAPSTAN_SDK_AUTHZ_STR(subresource)
  CAPSTAN_SDK_AUTHZ_STR(namespace_name)
  CAPSTAN_SDK_AUTHZ_STR(name)
  CAPSTAN_SDK_AUTHZ_STR(path)
#undef CAPSTAN_SDK_AUTHZ_STR

  // True for /api and /apis requests, false for non-resource paths (/healthz, /version).
  bool is_resource_request() const {
    return CAPSTAN_SDK_HAS_FIELD(raw_, capstan_authz_attributes, is_resource_request) &&
           raw_->is_resource_request != 0;
  }
  StrList groups() const {
    return CAPSTAN_SDK_HAS_FIELD(raw_, capstan_authz_attributes, group_count)
               ? StrList(raw_->groups, raw_->group_count)
               : StrList();
  }
  const capstan_authz_attributes* raw() const { return raw_; }

 private:
  const capstan_authz_attributes* raw_;
};

// Derive from this to authorize API requests. Thread-safety: `Authorize` runs on API server
// workers, concurrently when the plugin declares CAPSTAN_CAP_THREAD_SAFE. It is on every
// request's path: keep it fast and do not block.
class AuthzPlugin {
 public:
  virtual ~AuthzPlugin() = default;

  // Required. OK: allow. DENIED: deny (final). SKIP: no opinion. ERROR: failure policy applies.
  // May set `*reason` (shown in 403 messages and audit logs) with any code.
  virtual Status Authorize(Call& call, const AuthzAttributes& attributes, std::string* reason) = 0;
};

namespace internal {

template <typename D>
struct AuthzBridge {
  CAPSTAN_SDK_CHECK_SIGNATURE(D, AuthzPlugin, Authorize,
                              "Status Authorize(Call&, const AuthzAttributes&, std::string*)");

  static capstan_rc OnAuthorize(capstan_plugin_state* state, capstan_call* call,
                                const capstan_authz_attributes* attributes,
                                capstan_plugin_buf* out) noexcept {
    ClearOut(out);
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      std::string& buf = inst->out.Take(kSlotAuthz);
      Status s = inst->plugin.Authorize(c, AuthzAttributes(attributes), &buf);
      Emit(buf, out);
      return Finish(call, s);
    });
  }

  static constexpr capstan_authz_v1 kVtable = {sizeof(capstan_authz_v1), 0, &OnAuthorize};
  static constexpr capstan_kind_descriptor Kind() {
    return {sizeof(capstan_kind_descriptor),
            CAPSTAN_KIND_AUTHZ,
            CAPSTAN_AUTHZ_IFACE_MAJOR,
            CAPSTAN_AUTHZ_IFACE_MINOR,
            0,
            &kVtable};
  }
};

}  // namespace internal
}  // namespace capstan::sdk

#endif  // CAPSTAN_SDK_AUTHZ_H_
