// A small fixed thread pool for the parallel Filter and Score phases: the calling thread works
// too, so `ParallelPool(2)` starts one extra thread. Used by algorithm.cc.
// Tests in tests/core/scheduler/parallel_test.cc.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace capstan::scheduler {

// One Run() at a time (the scheduling loop); workers are started once and live until the pool
// is destroyed.
class ParallelPool {
 public:
  explicit ParallelPool(int parallelism);
  ~ParallelPool();
  ParallelPool(const ParallelPool&) = delete;
  ParallelPool& operator=(const ParallelPool&) = delete;

  int parallelism() const { return static_cast<int>(workers_.size()) + 1; }
  // Runs `fn(0)` on the caller and offers `fn(i)`, i in [1, n), to the workers; a worker that
  // wakes up after the caller's `fn(0)` returned skips the round, so callers must share work
  // dynamically (e.g. claim chunks from an atomic counter) rather than by index. Returns when
  // every `fn` that started has returned. `fn` must not throw.
  void Run(int n, const std::function<void(int worker)>& fn);

 private:
  void WorkerLoop(int index);

  std::mutex mu_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  const std::function<void(int)>* fn_ = nullptr;
  uint64_t round_ = 0;
  int wanted_ = 0;
  bool open_ = false;  // workers may still join the current round
  int joined_ = 0;     // workers running the current round
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace capstan::scheduler
