// The `anonymous` authn plugin (anonymous_authn.h).
#include "anonymous_authn.h"

#include "capstan/sdk/json.h"

namespace capstan::plugins {

sdk::Status AnonymousAuthn::Init(const sdk::Host& /*host*/, std::string_view config_json) {
  std::optional<sdk::json::Json> config = sdk::json::Parse(config_json);
  if (config) {
    reject_presented_ = sdk::json::GetBool(*config, "rejectPresentedCredentials").value_or(true);
  }
  return sdk::Status::Ok();
}

sdk::Status AnonymousAuthn::Authenticate(sdk::Call& /*call*/, const sdk::AuthnRequest& request,
                                         std::string* user_json) {
  if (reject_presented_ && !request.bearer_token().empty()) {
    return sdk::Status::Denied("invalid bearer token");
  }
  sdk::UserInfo user;
  user.username = "system:anonymous";
  user.groups = {"system:unauthenticated"};
  *user_json = user.ToJson();
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins
