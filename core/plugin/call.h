// The per-call context handed to plugins (`capstan_call` in capstan/abi/common.h): a host-owned
// error buffer, an absolute CLOCK_MONOTONIC deadline and a cancellation handle, plus the
// conversion of a return code and the error text into an outcome. Used by instance.h.
// Tests in tests/core/plugin/call_test.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/abi/common.h"
#include "core/common/status.h"

namespace capstan::plugin {

// Nanoseconds on CLOCK_MONOTONIC, the clock of `capstan_call.deadline_mono_ns`.
int64_t MonotonicNowNs();

// "OK", "ERROR", ... ; "PLUGIN_DEFINED(104)" / "UNKNOWN(42)" otherwise.
std::string RcName(capstan_rc rc);

// Set by whoever gives up on a call (client gone, shutdown); read by plugins through
// "capstan_host_call_cancelled_v1". Thread-safe.
class CancelToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_release); }
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> cancelled_{false};
};

struct CallOptions {
  // Absolute deadline on CLOCK_MONOTONIC; 0 means none.
  int64_t deadline_mono_ns = 0;
  // Borrowed; must outlive the call. NULL: never cancelled.
  const CancelToken* cancel = nullptr;
  // Error buffer size (the ABI guarantees at least 256; smaller values are raised to 256).
  uint32_t error_cap = 1024;

  // Deadline `timeout_ns` from now, capped by `outer_deadline_ns` (e.g. a chain budget; 0: none).
  static CallOptions WithTimeout(int64_t timeout_ns, int64_t outer_deadline_ns = 0);
};

// What a plugin call produced, after validation. `rc` is always a known code: exceptions and
// unknown codes become CAPSTAN_RC_ERROR with the original code kept in `message`.
struct CallOutcome {
  capstan_rc rc = CAPSTAN_RC_OK;
  std::string message;  // the plugin's error text or the host's explanation; empty on OK
  std::string source;   // who answered, e.g. "plugin 'p' instance 'i' on_authenticate"
  uint32_t retry_after_ms = 0;

  bool ok() const { return rc == CAPSTAN_RC_OK; }
  // For callers that only need success/failure: OK -> OK; DENIED -> kForbidden; INVALID ->
  // kInvalid; NOT_FOUND/ALREADY_EXISTS/UNIMPLEMENTED -> the same; RETRY_LATER/UNAVAILABLE ->
  // kUnavailable; DEADLINE_EXCEEDED -> kTimeout; ERROR -> kInternal; the scheduling outcomes
  // (UNSCHEDULABLE, UNRESOLVABLE, SKIP, WAIT) -> kUnavailable (inspect `rc` to tell them apart).
  // The message is "<source>: <RC_NAME>: <message>".
  Status ToStatus() const;
};

// The host side of one call; build it, pass raw() to the plugin, then call Finish(). Not
// copyable or movable (`raw()` points into it). Not thread-safe; one per call.
class CallContext {
 public:
  explicit CallContext(const CallOptions& options = {});
  CallContext(const CallContext&) = delete;
  CallContext& operator=(const CallContext&) = delete;

  capstan_call* raw() { return &call_; }

  // NUL-terminates the buffer (even if the plugin did not) and builds the outcome. `threw`
  // reports an exception caught at the boundary.
  CallOutcome Finish(capstan_rc rc, bool threw);

  // The handle given to plugins; resolves to this call's deadline and token.
  struct Handle {
    int64_t deadline_mono_ns = 0;
    const CancelToken* cancel = nullptr;
    bool Cancelled() const;
  };
  static const Handle* FromHandle(const capstan_host_call_handle* handle) {
    return reinterpret_cast<const Handle*>(handle);
  }

 private:
  std::vector<char> error_buf_;
  Handle handle_;
  capstan_call call_{};
};

// Checks an output buffer a plugin wrote: len > 0 with NULL data is malformed. Errors: kInternal
// "<what>: plugin returned malformed output: length N with NULL data".
Status CheckOutput(const capstan_plugin_buf& buf, std::string_view what);

}  // namespace capstan::plugin
