// The parallel-phase pool (parallel.h).
#include "core/scheduler/parallel.h"

#include <algorithm>

namespace capstan::scheduler {

ParallelPool::ParallelPool(int parallelism) {
  for (int i = 1; i < std::max(1, parallelism); ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(i); });
  }
}

ParallelPool::~ParallelPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  start_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ParallelPool::Run(int n, const std::function<void(int)>& fn) {
  n = std::clamp(n, 1, parallelism());
  if (n > 1) {
    std::lock_guard lock(mu_);
    fn_ = &fn;
    wanted_ = n;
    open_ = true;
    ++round_;
    start_cv_.notify_all();
  }
  fn(0);
  if (n > 1) {
    // Wait only for workers that joined: on a busy machine a worker may wake up late, and the
    // caller has already claimed all the work by then (callers split work by atomic chunks).
    std::unique_lock lock(mu_);
    open_ = false;
    done_cv_.wait(lock, [this] { return joined_ == 0; });
    fn_ = nullptr;
  }
}

void ParallelPool::WorkerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)>* fn = nullptr;
    {
      std::unique_lock lock(mu_);
      start_cv_.wait(lock, [&] { return stopping_ || round_ != seen; });
      if (stopping_) return;
      seen = round_;
      if (!open_ || index >= wanted_) continue;  // too late, or not needed this round
      ++joined_;
      fn = fn_;
    }
    (*fn)(index);
    std::lock_guard lock(mu_);
    if (--joined_ == 0) done_cv_.notify_one();
  }
}

}  // namespace capstan::scheduler
