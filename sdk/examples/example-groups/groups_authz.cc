// Example authz plugin `example-groups`: group matching (see groups_authz.h).
#include "groups_authz.h"

#include <optional>

#include "capstan/sdk/json.h"

namespace capstan::examples {
namespace {

std::vector<std::string> StringList(const sdk::json::Json& config, std::string_view key) {
  std::vector<std::string> out;
  if (const sdk::json::Json* list = sdk::json::GetArray(config, key)) {
    for (const sdk::json::Json& item : *list) {
      if (auto s = sdk::json::AsString(item)) out.push_back(*s);
    }
  }
  return out;
}

// The first of the user's groups that is in `wanted`, or empty.
std::string_view FirstMatch(const sdk::StrList& groups, const std::vector<std::string>& wanted) {
  for (size_t i = 0; i < groups.size(); ++i) {
    for (const std::string& w : wanted) {
      if (groups[i] == w) return groups[i];
    }
  }
  return {};
}

bool IsReadVerb(std::string_view verb) {
  return verb == "get" || verb == "list" || verb == "watch";
}

}  // namespace

sdk::Status GroupsAuthz::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<sdk::json::Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  allowed_ = StringList(*config, "allowedGroups");
  read_only_ = StringList(*config, "readOnlyGroups");
  deny_others_ = sdk::json::GetBool(*config, "denyOthers").value_or(false);
  if (allowed_.empty() && read_only_.empty()) host.Warn("no groups configured");
  return sdk::Status::Ok();
}

sdk::Status GroupsAuthz::Authorize(sdk::Call& call, const sdk::AuthzAttributes& attributes,
                                   std::string* reason) {
  (void)call;
  sdk::StrList groups = attributes.groups();
  if (std::string_view g = FirstMatch(groups, allowed_); !g.empty()) {
    *reason = "group " + std::string(g) + " is allowed";
    return sdk::Status::Ok();
  }
  if (std::string_view g = FirstMatch(groups, read_only_); !g.empty()) {
    if (IsReadVerb(attributes.verb())) {
      *reason = "group " + std::string(g) + " may read";
      return sdk::Status::Ok();
    }
    *reason = "group " + std::string(g) + " is read-only";
    return sdk::Status::Denied(*reason);
  }
  if (deny_others_) {
    *reason = "user " + std::string(attributes.user()) + " is in no allowed group";
    return sdk::Status::Denied(*reason);
  }
  return sdk::Status::Skip();
}

}  // namespace capstan::examples
