// Authentication plugins (CAPSTAN_KIND_AUTHN, capstan/abi/authn.h): `AuthnPlugin` to derive
// from, `AuthnRequest` (a view of the request), `UserInfo` (the JSON the host expects), and the
// export trampolines used by CAPSTAN_PLUGIN (plugin.h). Header-only, C++17.
#ifndef CAPSTAN_SDK_AUTHN_H_
#define CAPSTAN_SDK_AUTHN_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/abi/authn.h"
#include "capstan/sdk/call.h"
#include "capstan/sdk/internal/bridge.h"
#include "capstan/sdk/status.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk {

// A borrowed view of `capstan_authn_request`, valid for the call. Fields the host did not send
// (older host, convention 4) read as empty.
class AuthnRequest {
 public:
  explicit AuthnRequest(const capstan_authn_request* raw) : raw_(raw) {}

  // The token of an "Authorization: Bearer" header, or empty.
  std::string_view bearer_token() const {
    return CAPSTAN_SDK_HAS_FIELD(raw_, capstan_authn_request, bearer_token)
               ? ToView(raw_->bearer_token)
               : std::string_view();
  }
  // The client's PEM chain, leaf first, or empty; `client_cert_verified()` says whether TLS
  // verified it against the client CA.
  std::string_view client_cert_chain_pem() const {
    return CAPSTAN_SDK_HAS_FIELD(raw_, capstan_authn_request, client_cert_chain_pem)
               ? ToView(raw_->client_cert_chain_pem)
               : std::string_view();
  }
  bool client_cert_verified() const {
    return CAPSTAN_SDK_HAS_FIELD(raw_, capstan_authn_request, client_cert_verified) &&
           raw_->client_cert_verified != 0;
  }
  std::string_view remote_addr() const {
    return CAPSTAN_SDK_HAS_FIELD(raw_, capstan_authn_request, remote_addr)
               ? ToView(raw_->remote_addr)
               : std::string_view();
  }
  // The first header named `lower_name` (names are lower-case), or empty.
  std::string_view Header(std::string_view lower_name) const {
    if (!CAPSTAN_SDK_HAS_FIELD(raw_, capstan_authn_request, headers) || raw_->headers == nullptr) {
      return {};
    }
    for (uint32_t i = 0; i < raw_->header_count; ++i) {
      if (ToView(raw_->headers[i].name) == lower_name) return ToView(raw_->headers[i].value);
    }
    return {};
  }
  const capstan_authn_request* raw() const { return raw_; }

 private:
  const capstan_authn_request* raw_;
};

// The identity an authenticator returns; `ToJson()` renders the document authn.h specifies.
struct UserInfo {
  std::string username;  // required
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;

  std::string ToJson() const {
    std::string out = "{\"username\":";
    AppendJsonString(&out, username);
    if (!uid.empty()) {
      out += ",\"uid\":";
      AppendJsonString(&out, uid);
    }
    out += ",\"groups\":[";
    for (size_t i = 0; i < groups.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(&out, groups[i]);
    }
    out += ']';
    if (!extra.empty()) {
      out += ",\"extra\":{";
      bool first = true;
      for (const auto& [key, values] : extra) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(&out, key);
        out += ":[";
        for (size_t i = 0; i < values.size(); ++i) {
          if (i > 0) out += ',';
          AppendJsonString(&out, values[i]);
        }
        out += ']';
      }
      out += '}';
    }
    out += '}';
    return out;
  }
};

// Derive from this to authenticate API requests. Thread-safety: `Authenticate` runs on API
// server workers, concurrently when the plugin declares CAPSTAN_CAP_THREAD_SAFE.
class AuthnPlugin {
 public:
  virtual ~AuthnPlugin() = default;

  // Required. OK with `*user_json` set (see `UserInfo::ToJson`): authenticated.
  // SKIP: no credentials of this plugin's kind. DENIED: such credentials, but invalid (401).
  // ERROR / UNAVAILABLE: could not decide.
  virtual Status Authenticate(Call& call, const AuthnRequest& request, std::string* user_json) = 0;
};

namespace internal {

template <typename D>
struct AuthnBridge {
  CAPSTAN_SDK_CHECK_SIGNATURE(D, AuthnPlugin, Authenticate,
                              "Status Authenticate(Call&, const AuthnRequest&, std::string*)");

  static capstan_rc OnAuthenticate(capstan_plugin_state* state, capstan_call* call,
                                   const capstan_authn_request* request,
                                   capstan_plugin_buf* out) noexcept {
    ClearOut(out);
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      std::string& buf = inst->out.Take(kSlotAuthn);
      Status s = inst->plugin.Authenticate(c, AuthnRequest(request), &buf);
      Emit(buf, out);
      return Finish(call, s);
    });
  }

  static constexpr capstan_authn_v1 kVtable = {sizeof(capstan_authn_v1), 0, &OnAuthenticate};
  static constexpr capstan_kind_descriptor Kind() {
    return {sizeof(capstan_kind_descriptor),
            CAPSTAN_KIND_AUTHN,
            CAPSTAN_AUTHN_IFACE_MAJOR,
            CAPSTAN_AUTHN_IFACE_MINOR,
            0,
            &kVtable};
  }
};

}  // namespace internal
}  // namespace capstan::sdk

#endif  // CAPSTAN_SDK_AUTHN_H_
