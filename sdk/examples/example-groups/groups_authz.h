// Example authz plugin `example-groups`: allows every request of users in listed groups, and
// either denies or has no opinion on the rest. Exported by plugin.cc; tested in
// tests/sdk/examples/example_groups_test.cc.
#ifndef CAPSTAN_EXAMPLES_GROUPS_AUTHZ_H_
#define CAPSTAN_EXAMPLES_GROUPS_AUTHZ_H_

#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/authz.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::examples {

inline constexpr char kGroupsAuthzName[] = "example-groups";
inline constexpr char kGroupsAuthzVersion[] = "0.1.0";
inline constexpr char kGroupsAuthzDescription[] = "Allows requests from users in listed groups";
inline constexpr char kGroupsAuthzSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "allowedGroups": {"type": "array", "items": {"type": "string", "minLength": 1}},
    "readOnlyGroups": {"type": "array", "items": {"type": "string", "minLength": 1}},
    "denyOthers": {"type": "boolean"}
  }
})";

// Users in `allowedGroups` may do anything; users in `readOnlyGroups` may get, list and watch.
// Everyone else gets SKIP (no opinion: later authorizers decide) or, with `denyOthers`, DENIED.
// Thread-safe: configuration is immutable after Init.
class GroupsAuthz final : public sdk::AuthzPlugin {
 public:
  // INVALID when the config is not a JSON object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  sdk::Status Authorize(sdk::Call& call, const sdk::AuthzAttributes& attributes,
                        std::string* reason) override;

 private:
  std::vector<std::string> allowed_;
  std::vector<std::string> read_only_;
  bool deny_others_ = false;
};

}  // namespace capstan::examples

#endif  // CAPSTAN_EXAMPLES_GROUPS_AUTHZ_H_
