// WorkQueue and ExponentialBackoff (work_queue.h). One mutex guards the queue state; the timer
// thread sleeps on `timer_cv_` until the earliest delayed key is due.
#include "core/client/work_queue.h"

#include <algorithm>

namespace capstan::client {

ExponentialBackoff::ExponentialBackoff(std::chrono::nanoseconds base, std::chrono::nanoseconds max)
    : base_(base), max_(max) {}

std::chrono::nanoseconds ExponentialBackoff::When(const std::string& key) {
  int n;
  {
    std::lock_guard l(mu_);
    n = failures_[key]++;
  }
  // Doubling past 2^62 ns would overflow; by then the cap has long applied.
  if (n >= 62) return max_;
  auto factor = int64_t{1} << n;
  if (base_.count() > max_.count() / factor) return max_;
  return std::min(max_, base_ * factor);
}

void ExponentialBackoff::Forget(const std::string& key) {
  std::lock_guard l(mu_);
  failures_.erase(key);
}

int ExponentialBackoff::NumRequeues(const std::string& key) const {
  std::lock_guard l(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

WorkQueue::WorkQueue(WorkQueueOptions options)
    : backoff_(options.backoff_base, options.backoff_max), timer_([this] { TimerLoop(); }) {}

WorkQueue::~WorkQueue() {
  ShutDown();
  if (timer_.joinable()) timer_.join();
}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_) return;
  if (!dirty_.insert(key).second) return;
  if (processing_.count(key) != 0) return;  // requeued by Done
  queue_.push_back(key);
  ready_cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard l(mu_);
  AddLocked(key);
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock l(mu_);
  ready_cv_.wait(l, [&] { return !queue_.empty() || shutting_down_; });
  if (queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard l(mu_);
  processing_.erase(key);
  if (dirty_.count(key) != 0) {
    queue_.push_back(key);
    ready_cv_.notify_one();
  }
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::nanoseconds delay) {
  std::lock_guard l(mu_);
  if (shutting_down_) return;
  if (delay.count() <= 0) {
    AddLocked(key);
    return;
  }
  Clock::time_point due = Clock::now() + delay;
  auto [it, inserted] = waiting_.emplace(key, due);
  if (!inserted) {
    if (it->second <= due) return;
    it->second = due;  // the older heap entry is skipped when it surfaces
  }
  bool earliest = delayed_.empty() || due < delayed_.top().due;
  delayed_.push(Delayed{due, next_seq_++, key});
  if (earliest) timer_cv_.notify_one();
}

void WorkQueue::AddRateLimited(const std::string& key) { AddAfter(key, backoff_.When(key)); }

void WorkQueue::Forget(const std::string& key) { backoff_.Forget(key); }

int WorkQueue::NumRequeues(const std::string& key) const { return backoff_.NumRequeues(key); }

size_t WorkQueue::Len() const {
  std::lock_guard l(mu_);
  return queue_.size();
}

size_t WorkQueue::NumWaiting() const {
  std::lock_guard l(mu_);
  return waiting_.size();
}

void WorkQueue::ShutDown() {
  std::lock_guard l(mu_);
  shutting_down_ = true;
  ready_cv_.notify_all();
  timer_cv_.notify_all();
}

bool WorkQueue::ShuttingDown() const {
  std::lock_guard l(mu_);
  return shutting_down_;
}

void WorkQueue::TimerLoop() {
  std::unique_lock l(mu_);
  while (!shutting_down_) {
    if (delayed_.empty()) {
      timer_cv_.wait(l);
      continue;
    }
    Clock::time_point due = delayed_.top().due;
    if (Clock::now() < due) {
      timer_cv_.wait_until(l, due);
      continue;
    }
    Delayed d = delayed_.top();
    delayed_.pop();
    auto it = waiting_.find(d.key);
    // Stale entries (the key was moved earlier and already added) are skipped.
    if (it == waiting_.end() || it->second != d.due) continue;
    waiting_.erase(it);
    AddLocked(d.key);
  }
}

}  // namespace capstan::client
