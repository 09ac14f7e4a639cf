// Upstream's slowStartBatch for pod creates: batches of 1, 2, 4, ... whose items run
// concurrently on the host's executor ("post", so the plugin starts no threads), stopping at the
// first batch with a failure — so a quota or admission refusal costs one request, and a healthy
// API gets hundreds in flight. Bounded by the call's deadline: a batch that would likely not
// finish in time is not started. Used by replica_set_controller.cc; tests in
// tests/plugins/controllers/replicaset/slow_start_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_SLOW_START_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_SLOW_START_H_

#include <cstdint>
#include <functional>

#include "capstan/sdk/call.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::controllers {

struct SlowStartResult {
  int64_t successes = 0;
  // Items not attempted because the call's deadline was near (the caller resumes next sync).
  int64_t skipped = 0;
  sdk::Status first_error;  // OK when no item failed
};

// Runs `fn(i)` for i in [0, count): batch sizes 1, 2, 4, ..., each batch's items concurrently
// (posted to `host`; inline when the host has no executor) and waited for before the next. Stops
// after the first batch in which an item failed, or before a batch that would likely overrun
// `call`'s deadline (estimated from the previous batch; never before the first). `fn` must be
// thread-safe and may run on host threads; it is not called after SlowStart returns.
SlowStartResult SlowStart(const sdk::Host& host, const sdk::Call& call, int64_t count,
                          const std::function<sdk::Status(int64_t)>& fn);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_SLOW_START_H_
