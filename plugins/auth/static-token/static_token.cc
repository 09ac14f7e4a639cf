// The `static-token` authn plugin (static_token.h).
#include "static_token.h"

#include <fstream>
#include <sstream>

#include "capstan/sdk/json.h"
#include "token_file.h"

namespace capstan::plugins {

sdk::Status StaticTokenAuthn::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<sdk::json::Json> config = sdk::json::Parse(config_json);
  if (!config) return sdk::Status::Invalid("config is not JSON");
  std::string path = sdk::json::GetString(*config, "tokenFile").value_or("");
  std::ifstream in(path);
  if (!in) return sdk::Status::Invalid("cannot read token file " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<TokenEntry> entries;
  std::string error;
  if (!ParseTokenFile(text.str(), &entries, &error)) {
    return sdk::Status::Invalid("token file " + path + ": " + error);
  }
  for (TokenEntry& e : entries) {
    sdk::UserInfo user;
    user.username = e.user;
    user.uid = e.uid;
    user.groups = e.groups;
    users_[e.token] = user.ToJson();
  }
  host.Info("loaded " + std::to_string(users_.size()) + " tokens from " + path);
  return sdk::Status::Ok();
}

sdk::Status StaticTokenAuthn::Authenticate(sdk::Call& /*call*/, const sdk::AuthnRequest& request,
                                           std::string* user_json) {
  std::string_view token = request.bearer_token();
  if (token.empty()) return sdk::Status::Skip();
  auto it = users_.find(std::string(token));
  if (it == users_.end()) return sdk::Status::Skip("unknown token");
  *user_json = it->second;
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins
