// `capstan::sdk::Call`: the context of one plugin call — deadline, cancellation, retry hint, the
// instance's `Host`, and the API client bound to this call. Built by the export trampolines
// (capstan/sdk/plugin.h) on the stack; methods receive it by reference. Header-only, C++17.
#ifndef CAPSTAN_SDK_CALL_H_
#define CAPSTAN_SDK_CALL_H_

#include <time.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "capstan/abi/common.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk {

// One HTTP response from `Call::ApiRequest`.
struct ApiResponse {
  int32_t http_status = 0;
  std::string body;
};

// Valid for the duration of one plugin method; do not keep it (or `raw()`) after returning.
// Thread-safety: used only by the thread that runs the method.
class Call {
 public:
  // `raw` may be NULL (tests; the QueueSort entry has no call).
  Call(capstan_call* raw, const Host& host) : raw_(raw), host_(&host) {}
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  const Host& host() const { return *host_; }
  capstan_call* raw() const { return raw_; }

  // Absolute deadline on CLOCK_MONOTONIC in nanoseconds; 0 means none.
  int64_t deadline_mono_ns() const {
    return CAPSTAN_SDK_HAS_FIELD(raw_, capstan_call, deadline_mono_ns) ? raw_->deadline_mono_ns : 0;
  }
  // True once the host cancelled the call or its deadline passed. Long loops should check it and
  // return `Status::DeadlineExceeded`. Asks the host's service when present, else the clock.
  bool Cancelled() const {
    if (CAPSTAN_SDK_HAS_FIELD(raw_, capstan_call, handle) && raw_->handle != nullptr &&
        host_->CallCancelled(raw_->handle)) {
      return true;
    }
    int64_t deadline = deadline_mono_ns();
    return deadline != 0 && MonotonicNowNs() >= deadline;
  }

  // Blocking API request bound to this call's deadline; see `Host::ApiRequest`.
  Status ApiRequest(std::string_view method, std::string_view path, std::string_view content_type,
                    std::string_view body, ApiResponse* response) const {
    return host_->ApiRequest(raw_, method, path, content_type, body, &response->http_status,
                             &response->body);
  }
  Status ApiGet(std::string_view path, ApiResponse* response) const {
    return ApiRequest("GET", path, {}, {}, response);
  }

  static int64_t MonotonicNowNs() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  }

 private:
  capstan_call* raw_;
  const Host* host_;
};

}  // namespace capstan::sdk

#endif  // CAPSTAN_SDK_CALL_H_
