// The API server's view of authentication and authorization: who is asking (`UserInfo`) and
// whether they may (`Authorizer`). Implementations call the plugin chains (plugin_auth.h); the
// request pipeline (api_server.cc) only sees these interfaces, so security plugins drop in
// without changing it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/apiserver/http_request.h"
#include "core/apiserver/request_info.h"
#include "core/common/status.h"

namespace capstan::apiserver {

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  nlohmann::json extra = nlohmann::json::object();
};

// Thread-safe implementations required: called concurrently from worker threads.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // The requester. kUnauthenticated (401) when credentials were presented and rejected, or when
  // no authenticator accepted the request and anonymous access is off.
  virtual Result<UserInfo> Authenticate(const HttpRequest& request) = 0;
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // OK to allow; kForbidden with the reason otherwise.
  virtual Status Authorize(const UserInfo& user, const RequestInfo& info) = 0;
};

// The upstream 403 message: `pods is forbidden: User "bob" cannot list resource "pods" in API
// group "" in the namespace "default"` (+ `: <reason>` when given).
std::string ForbiddenMessage(const UserInfo& user, const RequestInfo& info,
                             const std::string& reason);

}  // namespace capstan::apiserver
