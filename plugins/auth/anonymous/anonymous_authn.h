// `anonymous`: the last authenticator of a chain; every request it sees becomes
// `system:anonymous` in group `system:unauthenticated`, as Kubernetes' --anonymous-auth does.
// Authorization decides what anonymous users may do. Export in plugin.cc.
#ifndef CAPSTAN_PLUGINS_AUTH_ANONYMOUS_ANONYMOUS_AUTHN_H_
#define CAPSTAN_PLUGINS_AUTH_ANONYMOUS_ANONYMOUS_AUTHN_H_

#include <string>
#include <string_view>

#include "capstan/sdk/authn.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::plugins {

inline constexpr char kAnonymousName[] = "anonymous";
inline constexpr char kAnonymousVersion[] = "0.1.0";
inline constexpr char kAnonymousDescription[] =
    "Maps unauthenticated requests to system:anonymous (place last in the authn chain)";
inline constexpr char kAnonymousSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "rejectPresentedCredentials": {"type": "boolean", "default": true}
  }
})";

// Thread-safe: immutable after Init.
class AnonymousAuthn final : public sdk::AuthnPlugin {
 public:
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // OK as system:anonymous; DENIED for a request that carried a bearer token no earlier
  // authenticator accepted (a wrong token is an error, not anonymity), unless configured off.
  sdk::Status Authenticate(sdk::Call& call, const sdk::AuthnRequest& request,
                           std::string* user_json) override;

 private:
  bool reject_presented_ = true;
};

}  // namespace capstan::plugins

#endif  // CAPSTAN_PLUGINS_AUTH_ANONYMOUS_ANONYMOUS_AUTHN_H_
