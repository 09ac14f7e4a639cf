// `SchedulerApi`: the small interface through which the scheduler and its plugins reach the API
// server (status patches, events, and "capstan_host_api_request_v1" for binders and preemption).
// scheduler_runner.h implements it over client::ApiClient; tests use fakes or a real server.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::scheduler {

struct ApiReply {
  int status = 0;
  std::string body;
};

// Implementations must be thread-safe: the event writer, binding threads and plugins call
// concurrently.
class SchedulerApi {
 public:
  virtual ~SchedulerApi() = default;
  // One request; any HTTP status is a successful result. Errors: kUnavailable/kTimeout when no
  // response arrived.
  virtual Result<ApiReply> Request(std::string_view method, std::string_view path,
                                   std::string_view content_type, std::string body,
                                   std::chrono::milliseconds timeout) = 0;
};

}  // namespace capstan::scheduler
