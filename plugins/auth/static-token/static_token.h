// `static-token`: authenticates bearer tokens listed in a Kubernetes static token file (the
// format of kube-apiserver's --token-auth-file). Unknown tokens SKIP so later authenticators
// (service-account JWTs, bootstrap tokens) can claim them. Export in plugin.cc.
#ifndef CAPSTAN_PLUGINS_AUTH_STATIC_TOKEN_STATIC_TOKEN_H_
#define CAPSTAN_PLUGINS_AUTH_STATIC_TOKEN_STATIC_TOKEN_H_

#include <string>
#include <string_view>
#include <unordered_map>

#include "capstan/sdk/authn.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::plugins {

inline constexpr char kStaticTokenName[] = "static-token";
inline constexpr char kStaticTokenVersion[] = "0.1.0";
inline constexpr char kStaticTokenDescription[] =
    "Bearer tokens from a Kubernetes static token file (token,user,uid,\"groups\")";
inline constexpr char kStaticTokenSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "required": ["tokenFile"],
  "properties": {"tokenFile": {"type": "string", "minLength": 1}}
})";

// Thread-safe: the token map is immutable after Init.
class StaticTokenAuthn final : public sdk::AuthnPlugin {
 public:
  // INVALID when the file cannot be read or has a malformed line (the message names the line).
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  sdk::Status Authenticate(sdk::Call& call, const sdk::AuthnRequest& request,
                           std::string* user_json) override;

 private:
  std::unordered_map<std::string, std::string> users_;  // token -> user info JSON
};

}  // namespace capstan::plugins

#endif  // CAPSTAN_PLUGINS_AUTH_STATIC_TOKEN_STATIC_TOKEN_H_
