// Example authn plugin `example-token`: config parsing and token matching (see token_authn.h).
#include "token_authn.h"

#include <optional>
#include <set>
#include <utility>

#include "capstan/sdk/json.h"

namespace capstan::examples {
namespace {

// Compares every byte whatever the first mismatch, so response time does not reveal how much
// of a guessed token was right.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (b.empty() ? 0 : b[i % b.size()]));
  }
  return diff == 0;
}

}  // namespace

sdk::Status TokenAuthn::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<sdk::json::Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  std::set<std::string> seen;
  if (const sdk::json::Json* tokens = sdk::json::GetArray(*config, "tokens")) {
    for (const sdk::json::Json& t : *tokens) {
      std::optional<std::string> token = sdk::json::GetString(t, "token");
      std::optional<std::string> username = sdk::json::GetString(t, "username");
      if (!token || !username) return sdk::Status::Invalid("tokens[]: token and username needed");
      if (!seen.insert(*token).second) {
        return sdk::Status::Invalid("tokens[]: duplicate token for user " + *username);
      }
      sdk::UserInfo user;
      user.username = *username;
      user.uid = sdk::json::GetString(t, "uid").value_or("");
      if (const sdk::json::Json* groups = sdk::json::GetArray(t, "groups")) {
        for (const sdk::json::Json& g : *groups) {
          if (auto name = sdk::json::AsString(g)) user.groups.push_back(*name);
        }
      }
      entries_.push_back(
          Entry{*token, user.ToJson(), sdk::json::GetBool(t, "disabled").value_or(false)});
    }
  }
  authenticated_ = host.Counter("authenticated_total", "Requests authenticated by a token");
  denied_ = host.Counter("denied_total", "Requests carrying a disabled token");
  host.Info("loaded " + std::to_string(entries_.size()) + " tokens");
  return sdk::Status::Ok();
}

sdk::Status TokenAuthn::Authenticate(sdk::Call& call, const sdk::AuthnRequest& request,
                                     std::string* user_json) {
  (void)call;
  std::string_view presented = request.bearer_token();
  if (presented.empty()) return sdk::Status::Skip();
  const Entry* match = nullptr;
  for (const Entry& e : entries_) {
    if (ConstantTimeEquals(e.token, presented)) match = &e;
  }
  if (match == nullptr) return sdk::Status::Skip("unknown token");
  if (match->disabled) {
    denied_.Record(1);
    return sdk::Status::Denied("token is disabled");
  }
  authenticated_.Record(1);
  *user_json = match->user_json;
  return sdk::Status::Ok();
}

}  // namespace capstan::examples
