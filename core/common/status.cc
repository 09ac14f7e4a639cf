// Code tables for `Status` (status.h): HTTP statuses, Kubernetes reasons and log names.
#include "core/common/status.h"

namespace capstan {
namespace {

struct CodeInfo {
  int http;
  std::string_view reason;
  std::string_view name;
};

CodeInfo Info(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return {200, "", "ok"};
    case StatusCode::kBadRequest:
      return {400, "BadRequest", "bad_request"};
    case StatusCode::kInvalid:
      return {422, "Invalid", "invalid"};
    case StatusCode::kNotFound:
      return {404, "NotFound", "not_found"};
    case StatusCode::kAlreadyExists:
      return {409, "AlreadyExists", "already_exists"};
    case StatusCode::kConflict:
      return {409, "Conflict", "conflict"};
    case StatusCode::kGone:
      return {410, "Expired", "gone"};
    case StatusCode::kUnauthenticated:
      return {401, "Unauthorized", "unauthenticated"};
    case StatusCode::kForbidden:
      return {403, "Forbidden", "forbidden"};
    case StatusCode::kMethodNotAllowed:
      return {405, "MethodNotAllowed", "method_not_allowed"};
    case StatusCode::kNotAcceptable:
      return {406, "NotAcceptable", "not_acceptable"};
    case StatusCode::kUnsupportedMediaType:
      return {415, "UnsupportedMediaType", "unsupported_media_type"};
    case StatusCode::kRequestEntityTooLarge:
      return {413, "RequestEntityTooLarge", "request_entity_too_large"};
    case StatusCode::kTooManyRequests:
      return {429, "TooManyRequests", "too_many_requests"};
    case StatusCode::kUnavailable:
      return {503, "ServiceUnavailable", "unavailable"};
    case StatusCode::kTimeout:
      return {504, "Timeout", "timeout"};
    case StatusCode::kCancelled:
      return {499, "Cancelled", "cancelled"};
    case StatusCode::kUnimplemented:
      return {501, "NotImplemented", "unimplemented"};
    case StatusCode::kInternal:
      return {500, "InternalError", "internal"};
  }
  return {500, "InternalError", "internal"};
}

}  // namespace

int HttpStatus(StatusCode code) { return Info(code).http; }
std::string_view StatusCodeReason(StatusCode code) { return Info(code).reason; }
std::string_view StatusCodeName(StatusCode code) { return Info(code).name; }

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(StatusCodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

}  // namespace capstan
