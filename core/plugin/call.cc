// Call contexts and outcome conversion (call.h).
#include "core/plugin/call.h"

#include <time.h>

#include <algorithm>
#include <cstring>

namespace capstan::plugin {
namespace {

constexpr uint32_t kMinErrorCap = 256;

const char* KnownRcName(capstan_rc rc) {
  switch (rc) {
    case CAPSTAN_RC_OK:
      return "OK";
    case CAPSTAN_RC_ERROR:
      return "ERROR";
    case CAPSTAN_RC_INVALID:
      return "INVALID";
    case CAPSTAN_RC_DENIED:
      return "DENIED";
    case CAPSTAN_RC_UNSCHEDULABLE:
      return "UNSCHEDULABLE";
    case CAPSTAN_RC_UNRESOLVABLE:
      return "UNRESOLVABLE";
    case CAPSTAN_RC_SKIP:
      return "SKIP";
    case CAPSTAN_RC_WAIT:
      return "WAIT";
    case CAPSTAN_RC_RETRY_LATER:
      return "RETRY_LATER";
    case CAPSTAN_RC_UNAVAILABLE:
      return "UNAVAILABLE";
    case CAPSTAN_RC_UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case CAPSTAN_RC_NOT_FOUND:
      return "NOT_FOUND";
    case CAPSTAN_RC_ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case CAPSTAN_RC_DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    default:
      return nullptr;
  }
}

StatusCode CodeFor(capstan_rc rc) {
  switch (rc) {
    case CAPSTAN_RC_OK:
      return StatusCode::kOk;
    case CAPSTAN_RC_INVALID:
      return StatusCode::kInvalid;
    case CAPSTAN_RC_DENIED:
      return StatusCode::kForbidden;
    case CAPSTAN_RC_NOT_FOUND:
      return StatusCode::kNotFound;
    case CAPSTAN_RC_ALREADY_EXISTS:
      return StatusCode::kAlreadyExists;
    case CAPSTAN_RC_UNIMPLEMENTED:
      return StatusCode::kUnimplemented;
    case CAPSTAN_RC_DEADLINE_EXCEEDED:
      return StatusCode::kTimeout;
    case CAPSTAN_RC_UNSCHEDULABLE:
    case CAPSTAN_RC_UNRESOLVABLE:
    case CAPSTAN_RC_SKIP:
    case CAPSTAN_RC_WAIT:
    case CAPSTAN_RC_RETRY_LATER:
    case CAPSTAN_RC_UNAVAILABLE:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kInternal;
  }
}

}  // namespace

int64_t MonotonicNowNs() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string RcName(capstan_rc rc) {
  if (const char* name = KnownRcName(rc)) return name;
  if (rc >= CAPSTAN_RC_PLUGIN_DEFINED) return "PLUGIN_DEFINED(" + std::to_string(rc) + ")";
  return "UNKNOWN(" + std::to_string(rc) + ")";
}

CallOptions CallOptions::WithTimeout(int64_t timeout_ns, int64_t outer_deadline_ns) {
  CallOptions o;
  if (timeout_ns > 0) o.deadline_mono_ns = MonotonicNowNs() + timeout_ns;
  if (outer_deadline_ns > 0 &&
      (o.deadline_mono_ns == 0 || outer_deadline_ns < o.deadline_mono_ns)) {
    o.deadline_mono_ns = outer_deadline_ns;
  }
  return o;
}

Status CallOutcome::ToStatus() const {
  if (ok()) return Status::Ok();
  std::string m = source.empty() ? "plugin call" : source;
  m += ": ";
  m += RcName(rc);
  if (!message.empty()) {
    m += ": ";
    m += message;
  }
  return Status(CodeFor(rc), std::move(m));
}

bool CallContext::Handle::Cancelled() const {
  if (cancel != nullptr && cancel->cancelled()) return true;
  return deadline_mono_ns > 0 && MonotonicNowNs() >= deadline_mono_ns;
}

CallContext::CallContext(const CallOptions& options)
    : error_buf_(std::max(options.error_cap, kMinErrorCap), '\0') {
  handle_.deadline_mono_ns = options.deadline_mono_ns;
  handle_.cancel = options.cancel;
  call_.struct_size = sizeof(capstan_call);
  call_.deadline_mono_ns = options.deadline_mono_ns;
  call_.error_buf = error_buf_.data();
  call_.error_cap = static_cast<uint32_t>(error_buf_.size());
  call_.handle = reinterpret_cast<capstan_host_call_handle*>(&handle_);
}

CallOutcome CallContext::Finish(capstan_rc rc, bool threw) {
  error_buf_.back() = '\0';  // the plugin may have filled the buffer without terminating it
  std::string text(error_buf_.data(), strnlen(error_buf_.data(), error_buf_.size()));
  CallOutcome out;
  out.retry_after_ms = call_.retry_after_ms;
  if (threw) {
    out.rc = CAPSTAN_RC_ERROR;
    out.message = "plugin threw across the ABI";
    if (!text.empty()) out.message += " (error text: " + text + ")";
    return out;
  }
  if (KnownRcName(rc) == nullptr) {
    out.rc = CAPSTAN_RC_ERROR;
    out.message =
        (rc >= CAPSTAN_RC_PLUGIN_DEFINED ? "plugin-defined return code " : "unknown return code ") +
        std::to_string(rc);
    if (!text.empty()) out.message += ": " + text;
    return out;
  }
  out.rc = rc;
  if (rc != CAPSTAN_RC_OK) out.message = std::move(text);
  return out;
}

Status CheckOutput(const capstan_plugin_buf& buf, std::string_view what) {
  if (buf.len > 0 && buf.data == nullptr) {
    return InternalError(std::string(what) + ": plugin returned malformed output: length " +
                         std::to_string(buf.len) + " with NULL data");
  }
  return Status::Ok();
}

}  // namespace capstan::plugin
