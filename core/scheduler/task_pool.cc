// FIFO thread pool (task_pool.h).
#include "core/scheduler/task_pool.h"

#include <algorithm>

namespace capstan::scheduler {

TaskPool::TaskPool(int threads, size_t max_backlog) : max_backlog_(max_backlog) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Loop(); });
}

TaskPool::~TaskPool() { Shutdown(); }

bool TaskPool::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || (max_backlog_ > 0 && tasks_.size() >= max_backlog_)) {
      ++dropped_;
      return false;
    }
    tasks_.push_back(std::move(task));
  }
  work_cv_.notify_one();
  return true;
}

void TaskPool::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return tasks_.empty() && running_ == 0; });
}

void TaskPool::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

uint64_t TaskPool::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void TaskPool::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping with nothing left
      task = std::move(tasks_.front());
      tasks_.pop_front();
      ++running_;
    }
    task();
    std::lock_guard lock(mu_);
    --running_;
    if (tasks_.empty() && running_ == 0) idle_cv_.notify_all();
  }
}

}  // namespace capstan::scheduler
