// A small FIFO thread pool with a bounded backlog and a wait-until-idle, for the binding cycle
// (PreBind/Bind/PostBind off the scheduling loop) and the asynchronous event/status writer.
// Tests in tests/core/scheduler/parallel_test.cc.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace capstan::scheduler {

// Thread-safe. Tasks must not throw. Destruction runs the backlog, then joins.
class TaskPool {
 public:
  // `max_backlog` 0: unbounded.
  explicit TaskPool(int threads, size_t max_backlog = 0);
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // False (task dropped) when the backlog is full or the pool is shutting down.
  bool Post(std::function<void()> task);
  // Blocks until no task is queued or running.
  void WaitIdle();
  // Runs the backlog, then stops the threads; later Posts fail. Idempotent.
  void Shutdown();
  uint64_t dropped() const;

 private:
  void Loop();

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> tasks_;
  size_t max_backlog_;
  size_t running_ = 0;
  uint64_t dropped_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace capstan::scheduler
