// `capstan::sdk::Status`: what a plugin method returns — an ABI return code (CAPSTAN_RC_*), a
// human-readable message and an optional retry hint. The export trampolines (capstan/sdk/plugin.h)
// turn it into the entry's return code and the call's error buffer.
// Header-only, C++17. Thread-safety: a value; safe to copy between threads.
#ifndef CAPSTAN_SDK_STATUS_H_
#define CAPSTAN_SDK_STATUS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "capstan/abi/common.h"

namespace capstan::sdk {

// Stable lower-case name of an ABI return code ("ok", "unschedulable", ...); "plugin_defined"
// for codes >= CAPSTAN_RC_PLUGIN_DEFINED and "unknown" for anything else.
inline std::string_view RcName(capstan_rc code) {
  switch (code) {
    case CAPSTAN_RC_OK:
      return "ok";
    case CAPSTAN_RC_ERROR:
      return "error";
    case CAPSTAN_RC_INVALID:
      return "invalid";
    case CAPSTAN_RC_DENIED:
      return "denied";
    case CAPSTAN_RC_UNSCHEDULABLE:
      return "unschedulable";
    case CAPSTAN_RC_UNRESOLVABLE:
      return "unresolvable";
    case CAPSTAN_RC_SKIP:
      return "skip";
    case CAPSTAN_RC_WAIT:
      return "wait";
    case CAPSTAN_RC_RETRY_LATER:
      return "retry_later";
    case CAPSTAN_RC_UNAVAILABLE:
      return "unavailable";
    case CAPSTAN_RC_UNIMPLEMENTED:
      return "unimplemented";
    case CAPSTAN_RC_NOT_FOUND:
      return "not_found";
    case CAPSTAN_RC_ALREADY_EXISTS:
      return "already_exists";
    case CAPSTAN_RC_DEADLINE_EXCEEDED:
      return "deadline_exceeded";
    default:
      return code >= CAPSTAN_RC_PLUGIN_DEFINED ? "plugin_defined" : "unknown";
  }
}

// The outcome of one plugin method. Which codes an entry may return, and what the host does with
// each, is stated on the entry in capstan/abi/<kind>.h; SKIP, WAIT, DENIED and UNSCHEDULABLE are
// decisions, not failures. `message` becomes the call's error text whenever the code is not OK.
class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(capstan_rc code, std::string message, uint32_t retry_after_ms = 0)
      : code_(code), retry_after_ms_(retry_after_ms), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  // The plugin failed (bug, I/O, unexpected state); the chain's failure policy applies.
  static Status Error(std::string m) { return {CAPSTAN_RC_ERROR, std::move(m)}; }
  // Malformed input or a rule violation; the caller must not retry the same input.
  static Status Invalid(std::string m) { return {CAPSTAN_RC_INVALID, std::move(m)}; }
  // A final policy "no" (authz deny, admission deny, bad credentials).
  static Status Denied(std::string m) { return {CAPSTAN_RC_DENIED, std::move(m)}; }
  // Scheduler: does not fit this node now / cannot fit even with preemption.
  static Status Unschedulable(std::string m) { return {CAPSTAN_RC_UNSCHEDULABLE, std::move(m)}; }
  static Status Unresolvable(std::string m) { return {CAPSTAN_RC_UNRESOLVABLE, std::move(m)}; }
  // No opinion / not applicable; the host moves on to the next plugin.
  static Status Skip(std::string m = {}) { return {CAPSTAN_RC_SKIP, std::move(m)}; }
  // Scheduler Permit: hold the pod (the wait time is the entry's out-parameter).
  static Status Wait(std::string m = {}) { return {CAPSTAN_RC_WAIT, std::move(m)}; }
  // Transient; `retry_after_ms` (0: no hint) is copied to `capstan_call.retry_after_ms`.
  static Status RetryLater(std::string m, uint32_t retry_after_ms = 0) {
    return {CAPSTAN_RC_RETRY_LATER, std::move(m), retry_after_ms};
  }
  // A dependency is down; the host reports the plugin as not ready and retries.
  static Status Unavailable(std::string m, uint32_t retry_after_ms = 0) {
    return {CAPSTAN_RC_UNAVAILABLE, std::move(m), retry_after_ms};
  }
  static Status Unimplemented(std::string m = {}) {
    return {CAPSTAN_RC_UNIMPLEMENTED, std::move(m)};
  }
  static Status NotFound(std::string m) { return {CAPSTAN_RC_NOT_FOUND, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {CAPSTAN_RC_ALREADY_EXISTS, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) {
    return {CAPSTAN_RC_DEADLINE_EXCEEDED, std::move(m)};
  }

  bool ok() const { return code_ == CAPSTAN_RC_OK; }
  capstan_rc code() const { return code_; }
  const std::string& message() const { return message_; }
  uint32_t retry_after_ms() const { return retry_after_ms_; }

  // "denied: user bob is not in an allowed group"; "ok" for OK.
  std::string ToString() const {
    std::string out(RcName(code_));
    if (!message_.empty()) out.append(": ").append(message_);
    return out;
  }

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_ && a.retry_after_ms_ == b.retry_after_ms_;
  }
  friend bool operator!=(const Status& a, const Status& b) { return !(a == b); }

 private:
  capstan_rc code_ = CAPSTAN_RC_OK;
  uint32_t retry_after_ms_ = 0;
  std::string message_;
};

}  // namespace capstan::sdk

// Returns early from the enclosing function when `expr` yields a non-OK `capstan::sdk::Status`.
#define CAPSTAN_SDK_RETURN_IF_ERROR(expr)                      \
  do {                                                         \
    ::capstan::sdk::Status capstan_sdk_status_ = (expr);       \
    if (!capstan_sdk_status_.ok()) return capstan_sdk_status_; \
  } while (0)

#endif  // CAPSTAN_SDK_STATUS_H_
