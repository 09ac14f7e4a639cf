// Thread pool with per-owner drain (executor.h).
#include "core/plugin/executor.h"

#include <algorithm>

namespace capstan::plugin {

HostExecutor::HostExecutor(int threads) {
  int n = std::max(threads, 1);
  workers_.reserve(n);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

HostExecutor::~HostExecutor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    while (!queue_.empty()) {
      queue_.top().owner->pending--;
      queue_.pop();
    }
  }
  work_cv_.notify_all();
  idle_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

std::shared_ptr<HostExecutor::Owner> HostExecutor::NewOwner() {
  return std::shared_ptr<Owner>(new Owner());
}

Status HostExecutor::Post(const std::shared_ptr<Owner>& owner, std::function<void()> task,
                          uint64_t delay_ms) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || owner->closed) return UnavailableError("host is shutting down the plugin");
    // Cap the delay so the time_point cannot overflow (about 292 years of nanoseconds).
    auto delay = std::chrono::milliseconds(std::min<uint64_t>(delay_ms, 100ull * 365 * 86400000));
    queue_.push(Task{Clock::now() + delay, next_seq_++, owner, std::move(task)});
    owner->pending++;
  }
  work_cv_.notify_one();
  return Status::Ok();
}

size_t HostExecutor::Drain(const std::shared_ptr<Owner>& owner) {
  std::unique_lock lock(mu_);
  owner->closed = true;
  // Drop the owner's tasks that are not due yet; keep everything else in order.
  std::vector<Task> keep;
  size_t dropped = 0;
  const Clock::time_point now = Clock::now();
  while (!queue_.empty()) {
    Task t = std::move(const_cast<Task&>(queue_.top()));
    queue_.pop();
    if (t.owner == owner && t.due > now) {
      ++dropped;
      owner->pending--;
    } else {
      keep.push_back(std::move(t));
    }
  }
  for (Task& t : keep) queue_.push(std::move(t));
  work_cv_.notify_all();
  idle_cv_.wait(lock, [&] { return owner->pending == 0; });
  return dropped;
}

void HostExecutor::WorkerLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    if (stopping_) return;
    if (queue_.empty()) {
      work_cv_.wait(lock);
      continue;
    }
    Clock::time_point due = queue_.top().due;
    if (due > Clock::now()) {
      work_cv_.wait_until(lock, due);
      continue;
    }
    Task t = std::move(const_cast<Task&>(queue_.top()));
    queue_.pop();
    lock.unlock();
    t.fn();
    t.fn = nullptr;  // release captures outside the lock
    lock.lock();
    t.owner->pending--;
    if (t.owner->pending == 0) idle_cv_.notify_all();
  }
}

}  // namespace capstan::plugin
