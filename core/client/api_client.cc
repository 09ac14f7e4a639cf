// ApiClient's JSON verbs on top of Request (api_client.h). The transport (pool, TLS, watches)
// is in client_connection.cc and client_watch.cc.
#include "core/client/api_client.h"

#include "core/client/api_status.h"
#include "core/common/config.h"

namespace capstan::client {
namespace {

Result<nlohmann::json> JsonResult(Result<ApiResponse> r) {
  if (!r.ok()) return r.status();
  Status s = StatusFromResponse(*r);
  if (!s.ok()) return s;
  if (r->body.empty()) return nlohmann::json::object();
  Result<nlohmann::json> parsed = config::ParseJson(r->body, "response");
  if (!parsed.ok()) return InternalError(parsed.status().message());
  return parsed;
}

}  // namespace

std::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "ERROR";
}

Result<nlohmann::json> ApiClient::Get(std::string_view path, std::chrono::milliseconds timeout) {
  return JsonResult(Request("GET", path, "", "", timeout));
}

Result<nlohmann::json> ApiClient::Create(std::string_view path, const nlohmann::json& object,
                                         std::chrono::milliseconds timeout) {
  return JsonResult(Request("POST", path, "application/json", object.dump(), timeout));
}

Result<nlohmann::json> ApiClient::Update(std::string_view path, const nlohmann::json& object,
                                         std::chrono::milliseconds timeout) {
  return JsonResult(Request("PUT", path, "application/json", object.dump(), timeout));
}

Result<nlohmann::json> ApiClient::Patch(std::string_view path, std::string_view patch_content_type,
                                        const nlohmann::json& patch,
                                        std::chrono::milliseconds timeout) {
  return JsonResult(Request("PATCH", path, patch_content_type, patch.dump(), timeout));
}

Result<nlohmann::json> ApiClient::Delete(std::string_view path, const nlohmann::json& options,
                                         std::chrono::milliseconds timeout) {
  std::string body = options.is_null() ? std::string() : options.dump();
  return JsonResult(
      Request("DELETE", path, body.empty() ? "" : "application/json", std::move(body), timeout));
}

}  // namespace capstan::client
