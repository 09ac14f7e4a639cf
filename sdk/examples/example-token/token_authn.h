// Example authn plugin `example-token`: bearer tokens from a static list in the plugin's config
// map to users. Exported by plugin.cc; tested in tests/sdk/examples/example_token_test.cc.
#ifndef CAPSTAN_EXAMPLES_TOKEN_AUTHN_H_
#define CAPSTAN_EXAMPLES_TOKEN_AUTHN_H_

#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/authn.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::examples {

inline constexpr char kTokenAuthnName[] = "example-token";
inline constexpr char kTokenAuthnVersion[] = "0.1.0";
inline constexpr char kTokenAuthnDescription[] = "Static bearer tokens from the plugin config";
inline constexpr char kTokenAuthnSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "tokens": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["token", "username"],
        "properties": {
          "token": {"type": "string", "minLength": 8},
          "username": {"type": "string", "minLength": 1},
          "uid": {"type": "string"},
          "groups": {"type": "array", "items": {"type": "string"}},
          "disabled": {"type": "boolean"}
        }
      }
    }
  }
})";

// Unknown tokens get SKIP (another authenticator may own them, e.g. service-account JWTs);
// known tokens get OK with the user, disabled ones DENIED. Thread-safe: the token list is
// immutable after Init.
class TokenAuthn final : public sdk::AuthnPlugin {
 public:
  // INVALID when the config is not JSON, has a duplicate token, or a malformed entry.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  sdk::Status Authenticate(sdk::Call& call, const sdk::AuthnRequest& request,
                           std::string* user_json) override;

 private:
  struct Entry {
    std::string token;
    std::string user_json;
    bool disabled;
  };
  std::vector<Entry> entries_;
  sdk::Metric authenticated_;
  sdk::Metric denied_;
};

}  // namespace capstan::examples

#endif  // CAPSTAN_EXAMPLES_TOKEN_AUTHN_H_
