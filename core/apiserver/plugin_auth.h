// Authentication and authorization by the operator's plugin chains (core/plugin): authn — the
// first plugin that answers OK wins, SKIP moves on, DENIED stops with 401; authz — the first OK
// (allow) or DENIED wins, SKIP is no opinion, all-skip denies. Failure policy per entry: Fail
// rejects the request, Ignore moves on. Partners: auth.h (interfaces), api_server.cc (caller).
#pragma once

#include "core/apiserver/auth.h"
#include "core/plugin/registry.h"

namespace capstan::apiserver {

// Thread-safe; the chain (owned by the plugin Registry) must outlive it. A null chain
// authenticates nobody (every request gets 401).
class PluginAuthenticator final : public Authenticator {
 public:
  explicit PluginAuthenticator(const plugin::Chain* chain) : chain_(chain) {}
  Result<UserInfo> Authenticate(const HttpRequest& request) override;

 private:
  const plugin::Chain* chain_;
};

// Thread-safe; a null chain denies everything.
class PluginAuthorizer final : public Authorizer {
 public:
  explicit PluginAuthorizer(const plugin::Chain* chain) : chain_(chain) {}
  Status Authorize(const UserInfo& user, const RequestInfo& info) override;

 private:
  const plugin::Chain* chain_;
};

// Parses the user info JSON an authn plugin returned. Errors: kInternal naming what is wrong.
Result<UserInfo> ParseUserInfo(std::string_view json);

}  // namespace capstan::apiserver
