// `always-allow`: the permissive authorizer (kube-apiserver's --authorization-mode=AlwaysAllow),
// the default until RBAC is configured. Every request is allowed. Export in plugin.cc.
#ifndef CAPSTAN_PLUGINS_AUTH_ALWAYS_ALLOW_ALWAYS_ALLOW_H_
#define CAPSTAN_PLUGINS_AUTH_ALWAYS_ALLOW_ALWAYS_ALLOW_H_

#include <string>
#include <string_view>

#include "capstan/sdk/authz.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::plugins {

inline constexpr char kAlwaysAllowName[] = "always-allow";
inline constexpr char kAlwaysAllowVersion[] = "0.1.0";
inline constexpr char kAlwaysAllowDescription[] = "Allows every request (AlwaysAllow mode)";
inline constexpr char kAlwaysAllowSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {}
})";

class AlwaysAllow final : public sdk::AuthzPlugin {
 public:
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  sdk::Status Authorize(sdk::Call& call, const sdk::AuthzAttributes& attributes,
                        std::string* reason) override;
};

}  // namespace capstan::plugins

#endif  // CAPSTAN_PLUGINS_AUTH_ALWAYS_ALLOW_ALWAYS_ALLOW_H_
