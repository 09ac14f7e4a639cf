// The host-owned thread pool behind "capstan_host_post_v1": plugins post tasks (optionally
// delayed); each plugin instance is an `Owner` whose tasks are run or dropped by Drain() before
// its `on_destroy`. Used by host_context.cc. Tests in tests/core/plugin/executor_test.cc.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "core/common/status.h"

namespace capstan::plugin {

// Thread-safe. Tasks must not throw (the host wraps plugin tasks in a catch-all).
class HostExecutor {
 public:
  // Starts `threads` workers (at least 1).
  explicit HostExecutor(int threads = 2);
  // Stops the workers; tasks not yet started are dropped.
  ~HostExecutor();
  HostExecutor(const HostExecutor&) = delete;
  HostExecutor& operator=(const HostExecutor&) = delete;

  // Accounting for one plugin instance's tasks. Opaque to callers.
  class Owner;
  std::shared_ptr<Owner> NewOwner();

  // Queues `task` to run once `delay_ms` has passed. Errors: kUnavailable when `owner` is
  // drained or the executor is stopping (the task will not run).
  Status Post(const std::shared_ptr<Owner>& owner, std::function<void()> task, uint64_t delay_ms);

  // Refuses further posts for `owner`, drops its tasks whose delay has not yet expired, and
  // waits until every other task of `owner` has finished. Returns the number dropped. Must not
  // be called from one of `owner`'s own tasks. Idempotent.
  size_t Drain(const std::shared_ptr<Owner>& owner);

 private:
  using Clock = std::chrono::steady_clock;
  struct Task {
    Clock::time_point due;
    uint64_t seq;
    std::shared_ptr<Owner> owner;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Task& a, const Task& b) const {
      return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }
  };

  void WorkerLoop();

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::priority_queue<Task, std::vector<Task>, Later> queue_;
  uint64_t next_seq_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

class HostExecutor::Owner {
 private:
  friend class HostExecutor;
  size_t pending = 0;  // queued + running; guarded by the executor's mutex
  bool closed = false;
};

}  // namespace capstan::plugin
