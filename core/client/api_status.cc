// Response -> Status mapping (api_status.h).
#include "core/client/api_status.h"

#include <array>

#include "core/common/config.h"

namespace capstan::client {
namespace {

constexpr std::array kAllCodes = {
    StatusCode::kBadRequest,
    StatusCode::kInvalid,
    StatusCode::kNotFound,
    StatusCode::kAlreadyExists,
    StatusCode::kConflict,
    StatusCode::kGone,
    StatusCode::kUnauthenticated,
    StatusCode::kForbidden,
    StatusCode::kMethodNotAllowed,
    StatusCode::kNotAcceptable,
    StatusCode::kUnsupportedMediaType,
    StatusCode::kRequestEntityTooLarge,
    StatusCode::kTooManyRequests,
    StatusCode::kUnavailable,
    StatusCode::kTimeout,
    StatusCode::kCancelled,
    StatusCode::kUnimplemented,
    StatusCode::kInternal,
};

StatusCode CodeFromHttp(int http) {
  switch (http) {
    case 400:
      return StatusCode::kBadRequest;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kForbidden;
    case 404:
      return StatusCode::kNotFound;
    case 405:
      return StatusCode::kMethodNotAllowed;
    case 406:
      return StatusCode::kNotAcceptable;
    case 409:
      return StatusCode::kConflict;
    case 410:
      return StatusCode::kGone;
    case 413:
      return StatusCode::kRequestEntityTooLarge;
    case 415:
      return StatusCode::kUnsupportedMediaType;
    case 422:
      return StatusCode::kInvalid;
    case 429:
      return StatusCode::kTooManyRequests;
    case 499:
      return StatusCode::kCancelled;
    case 501:
      return StatusCode::kUnimplemented;
    case 503:
      return StatusCode::kUnavailable;
    case 504:
      return StatusCode::kTimeout;
    default:
      break;
  }
  if (http >= 500) return StatusCode::kInternal;
  return StatusCode::kBadRequest;
}

// Code from a metav1.Status: its reason when known, else its HTTP code, else `fallback_http`.
Status FromStatusJson(const nlohmann::json& s, int fallback_http) {
  std::string message;
  std::optional<StatusCode> code;
  int http = fallback_http;
  if (s.is_object()) {
    if (auto m = s.find("message"); m != s.end() && m->is_string()) message = *m;
    if (auto r = s.find("reason"); r != s.end() && r->is_string()) {
      code = StatusCodeFromReason(r->get<std::string>());
    }
    if (auto c = s.find("code"); c != s.end() && c->is_number_integer() && http == 0) {
      http = c->get<int>();
    }
  }
  if (!code) code = http > 0 ? CodeFromHttp(http) : StatusCode::kInternal;
  if (message.empty()) message = "HTTP " + std::to_string(http);
  return Status(*code, std::move(message));
}

}  // namespace

std::optional<StatusCode> StatusCodeFromReason(std::string_view reason) {
  if (reason.empty()) return std::nullopt;
  // Upstream reasons that have no code of their own here.
  if (reason == "Gone") return StatusCode::kGone;
  if (reason == "ServerTimeout") return StatusCode::kTimeout;
  if (reason == "Unauthorized") return StatusCode::kUnauthenticated;
  for (StatusCode c : kAllCodes) {
    if (StatusCodeReason(c) == reason) return c;
  }
  return std::nullopt;
}

Status StatusFromResponse(const ApiResponse& response) {
  if (response.status >= 200 && response.status < 300) return Status::Ok();
  Result<nlohmann::json> body = config::ParseJson(response.body, "response");
  if (body.ok() && body->is_object() && body->value("kind", "") == "Status") {
    return FromStatusJson(*body, response.status);
  }
  std::string message = "HTTP " + std::to_string(response.status);
  if (!response.body.empty()) message += ": " + response.body.substr(0, 512);
  return Status(CodeFromHttp(response.status), std::move(message));
}

Status StatusFromStatusObject(const nlohmann::json& status) { return FromStatusJson(status, 0); }

}  // namespace capstan::client
