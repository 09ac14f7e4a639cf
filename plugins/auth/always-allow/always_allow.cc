// The `always-allow` authz plugin (always_allow.h).
#include "always_allow.h"

namespace capstan::plugins {

sdk::Status AlwaysAllow::Init(const sdk::Host& /*host*/, std::string_view /*config_json*/) {
  return sdk::Status::Ok();
}

sdk::Status AlwaysAllow::Authorize(sdk::Call& /*call*/, const sdk::AuthzAttributes& /*attributes*/,
                                   std::string* reason) {
  *reason = "always-allow";
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins
