// Plugin-chain authentication and authorization (plugin_auth.h).
#include "core/apiserver/plugin_auth.h"

#include "capstan/abi/authn.h"
#include "capstan/abi/authz.h"
#include "core/common/log.h"

namespace capstan::apiserver {
namespace {

capstan_host_str Str(std::string_view s) { return {s.data(), s.size()}; }

std::string_view BearerToken(const HttpRequest& request) {
  std::string_view auth = request.Header("authorization").value_or("");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() <= kBearer.size() || auth.substr(0, kBearer.size()) != kBearer) return {};
  std::string_view token = auth.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return token;
}

}  // namespace

Result<UserInfo> ParseUserInfo(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object() || !j.contains("username") || !j["username"].is_string() ||
      j["username"].get<std::string>().empty()) {
    return InternalError("authn plugin returned user info without a username");
  }
  UserInfo u;
  u.name = j["username"];
  if (j.contains("uid") && j["uid"].is_string()) u.uid = j["uid"];
  if (j.contains("groups") && j["groups"].is_array()) {
    for (const auto& g : j["groups"]) {
      if (g.is_string()) u.groups.push_back(g);
    }
  }
  if (j.contains("extra") && j["extra"].is_object()) u.extra = j["extra"];
  return u;
}

Result<UserInfo> PluginAuthenticator::Authenticate(const HttpRequest& request) {
  if (chain_ == nullptr) return Status(StatusCode::kUnauthenticated, "Unauthorized");
  std::vector<capstan_http_header> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers.entries()) {
    headers.push_back({Str(name), Str(value)});
  }
  std::string remote = request.remote_ip + ":" + std::to_string(request.remote_port);
  capstan_authn_request req{};
  req.struct_size = sizeof(req);
  req.header_count = static_cast<uint32_t>(headers.size());
  req.headers = headers.data();
  req.bearer_token = Str(BearerToken(request));
  req.client_cert_chain_pem = {
      reinterpret_cast<const uint8_t*>(request.client_cert_chain_pem.data()),
      request.client_cert_chain_pem.size()};
  req.client_cert_verified = request.client_cert_verified ? 1 : 0;
  req.remote_addr = Str(remote);
  int64_t deadline = chain_->DeadlineFromNow();
  for (const plugin::ChainEntry& entry : chain_->entries) {
    if (!entry.instance || entry.instance->authn() == nullptr) continue;
    auto* fn = entry.instance->authn()->on_authenticate;
    if (fn == nullptr) continue;
    capstan_plugin_buf out{};
    plugin::CallOutcome o =
        entry.instance->Invoke("on_authenticate", entry.CallOptionsWithin(deadline),
                               [&](capstan_plugin_state* state, capstan_call* call) {
                                 return fn(state, call, &req, &out);
                               });
    if (o.rc == CAPSTAN_RC_SKIP) continue;
    if (o.rc == CAPSTAN_RC_DENIED) return Status(StatusCode::kUnauthenticated, "Unauthorized");
    if (o.ok()) {
      Status well_formed = plugin::CheckOutput(out, o.source);
      Result<UserInfo> user =
          well_formed.ok() ? ParseUserInfo({reinterpret_cast<const char*>(out.data), out.len})
                           : Result<UserInfo>(well_formed);
      if (user.ok()) return user;
      log::Error("apiserver", "authn plugin output rejected", {{"error", user.status().message()}});
    } else {
      log::Warn("apiserver", "authn plugin failed", {{"error", o.ToStatus().message()}});
    }
    if (entry.config.failure_policy == plugin::FailurePolicy::kFail) {
      return Status(StatusCode::kUnauthenticated, "Unauthorized");
    }
  }
  return Status(StatusCode::kUnauthenticated, "Unauthorized");
}

Status PluginAuthorizer::Authorize(const UserInfo& user, const RequestInfo& info) {
  if (chain_ == nullptr) return ForbiddenError("no authorizer configured");
  std::vector<capstan_host_str> groups;
  groups.reserve(user.groups.size());
  for (const std::string& g : user.groups) groups.push_back(Str(g));
  std::string extra = user.extra.dump();
  capstan_authz_attributes a{};
  a.struct_size = sizeof(a);
  a.is_resource_request = info.is_resource_request ? 1 : 0;
  a.user = Str(user.name);
  a.uid = Str(user.uid);
  a.groups = groups.data();
  a.group_count = static_cast<uint32_t>(groups.size());
  a.extra_json = {reinterpret_cast<const uint8_t*>(extra.data()), extra.size()};
  a.verb = Str(info.verb);
  a.api_group = Str(info.api_group);
  a.api_version = Str(info.api_version);
  a.resource = Str(info.resource);
  a.subresource = Str(info.subresource);
  a.namespace_name = Str(info.namespace_name);
  a.name = Str(info.name);
  a.path = Str(info.path);
  int64_t deadline = chain_->DeadlineFromNow();
  for (const plugin::ChainEntry& entry : chain_->entries) {
    if (!entry.instance || entry.instance->authz() == nullptr) continue;
    auto* fn = entry.instance->authz()->on_authorize;
    if (fn == nullptr) continue;
    capstan_plugin_buf reason{};
    plugin::CallOutcome o =
        entry.instance->Invoke("on_authorize", entry.CallOptionsWithin(deadline),
                               [&](capstan_plugin_state* state, capstan_call* call) {
                                 return fn(state, call, &a, &reason);
                               });
    if (o.ok()) return Status::Ok();
    if (o.rc == CAPSTAN_RC_SKIP) continue;
    if (o.rc == CAPSTAN_RC_DENIED) {
      std::string why = plugin::CheckOutput(reason, o.source).ok() && reason.len > 0
                            ? std::string(reinterpret_cast<const char*>(reason.data), reason.len)
                            : o.message;
      return ForbiddenError(why);
    }
    log::Warn("apiserver", "authz plugin failed", {{"error", o.ToStatus().message()}});
    if (entry.config.failure_policy == plugin::FailurePolicy::kFail) {
      return ForbiddenError("authorizer error");
    }
  }
  return ForbiddenError("");
}

}  // namespace capstan::apiserver
