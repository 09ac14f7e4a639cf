// `capstan::Status` and `capstan::Result<T>`: the error model shared by core and the C++ SDK.
// Each code maps to exactly one HTTP status (for the API server) and one ABI return code
// (sdk/include/capstan/abi/common.h); see `HttpStatus()` and `StatusCodeReason()`.
// Thread-safety: values; safe to copy between threads.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace capstan {

// Canonical codes. Guidance on which to use:
//   kBadRequest     the input is malformed (unparseable JSON, unknown flag); retrying it is futile.
//   kInvalid        the input parses but breaks a rule (validation, schema); carries field paths.
//   kNotFound       the named thing does not exist.
//   kAlreadyExists  create of a name that is taken.
//   kConflict       a compare-and-swap lost (stale resourceVersion); re-read and retry.
//   kGone           asked for history that was compacted away ("too old resource version").
//   kUnauthenticated / kForbidden  identity missing / identity not allowed.
//   kTooManyRequests  back off and retry later.
//   kUnavailable    a dependency is down; retry later.
//   kTimeout        a deadline passed before the work finished.
//   kCancelled      the caller gave up.
//   kUnimplemented  the operation is not supported here; do not retry.
//   kInternal       a bug or broken invariant on our side, or a plugin returned garbage.
enum class StatusCode : uint8_t {
  kOk = 0,
  kBadRequest,
  kInvalid,
  kNotFound,
  kAlreadyExists,
  kConflict,
  kGone,
  kUnauthenticated,
  kForbidden,
  kMethodNotAllowed,
  kNotAcceptable,
  kUnsupportedMediaType,
  kRequestEntityTooLarge,
  kTooManyRequests,
  kUnavailable,
  kTimeout,
  kCancelled,
  kUnimplemented,
  kInternal,
};

// HTTP status code for `code` (e.g. kInvalid -> 422, kConflict -> 409).
int HttpStatus(StatusCode code);
// Kubernetes `metav1.StatusReason` for `code` (e.g. "Invalid", "AlreadyExists", "Expired").
std::string_view StatusCodeReason(StatusCode code);
// Stable lower-case name used in logs (e.g. "not_found").
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  Status WithContext(std::string_view context) const;
  // "not_found: pods \"x\" not found"; "ok" for OK.
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status BadRequestError(std::string m) { return {StatusCode::kBadRequest, std::move(m)}; }
inline Status InvalidError(std::string m) { return {StatusCode::kInvalid, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status ConflictError(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
inline Status GoneError(std::string m) { return {StatusCode::kGone, std::move(m)}; }
inline Status ForbiddenError(std::string m) { return {StatusCode::kForbidden, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status TimeoutError(std::string m) { return {StatusCode::kTimeout, std::move(m)}; }
inline Status UnimplementedError(std::string m) {
  return {StatusCode::kUnimplemented, std::move(m)};
}
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or a non-OK Status. Accessing the value of an error Result is a bug and aborts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result built from an OK Status has no value");
    if (std::get<Status>(v_).ok()) v_ = Status(StatusCode::kInternal, "OK status without value");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace capstan

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define CAPSTAN_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::capstan::Status capstan_status_ = (expr);        \
    if (!capstan_status_.ok()) return capstan_status_; \
  } while (0)
