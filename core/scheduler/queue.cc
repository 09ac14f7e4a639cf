// The scheduling queue (queue.h). activeQ and backoffQ are binary heaps with lazy deletion: an
// entry's `seq` changes whenever it moves, so heap items with an old `seq` are skipped.
#include "core/scheduler/queue.h"

#include <algorithm>

namespace capstan::scheduler {

SchedulingQueue::SchedulingQueue(Options options) : options_(std::move(options)) {}

SchedulingQueue::Clock::duration SchedulingQueue::BackoffFor(int attempts) const {
  Clock::duration d = options_.initial_backoff;
  for (int i = 1; i < attempts && d < options_.max_backoff; ++i) d *= 2;
  return std::min(d, options_.max_backoff);
}

void SchedulingQueue::PushActive(Entry& e, const std::string& key) {
  if (e.where == Where::kActive && e.seq != 0) --active_count_;
  if (e.where == Where::kBackoff && e.seq != 0) --backoff_count_;
  if (e.where == Where::kUnschedulable) unschedulable_.erase(key);
  e.where = Where::kActive;
  e.seq = ++seq_;
  ++active_count_;
  active_.push_back({e.qp.pod, key, e.seq});
  auto later = [this](const HeapItem& a, const HeapItem& b) {
    return options_.less(*b.pod, *a.pod);
  };
  std::push_heap(active_.begin(), active_.end(), later);
  cv_.notify_one();
}

void SchedulingQueue::PushBackoff(Entry& e, const std::string& key) {
  if (e.where == Where::kActive && e.seq != 0) --active_count_;
  if (e.where == Where::kBackoff && e.seq != 0) --backoff_count_;
  if (e.where == Where::kUnschedulable) unschedulable_.erase(key);
  e.where = Where::kBackoff;
  e.seq = ++seq_;
  ++backoff_count_;
  backoff_.push_back({e.backoff_until, key, e.seq});
  std::push_heap(backoff_.begin(), backoff_.end(),
                 [](const BackoffItem& a, const BackoffItem& b) { return a.until > b.until; });
}

void SchedulingQueue::Place(Entry& e, const std::string& key, Clock::time_point now) {
  if (e.backoff_until > now) {
    PushBackoff(e, key);
  } else {
    PushActive(e, key);
  }
}

void SchedulingQueue::AddOrUpdate(std::shared_ptr<const PodInfo> pod) {
  std::lock_guard lock(mu_);
  const std::string& key = pod->key();
  if (auto f = in_flight_.find(key); f != in_flight_.end()) {
    f->second = std::move(pod);
    return;
  }
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    Entry& e = entries_[key];
    e.qp.pod = std::move(pod);
    e.since = Now();
    PushActive(e, key);
    return;
  }
  Entry& e = it->second;
  e.qp.pod = std::move(pod);
  if (e.where == Where::kActive) {
    PushActive(e, key);  // re-sort: the update may change its order
  } else if (e.where == Where::kUnschedulable) {
    Place(e, key, Now());
  }
  // In backoffQ it stays until the backoff ends; the stored pod is already the new one.
}

void SchedulingQueue::Delete(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto f = in_flight_.find(key); f != in_flight_.end()) {
    f->second = nullptr;
    return;
  }
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (it->second.where == Where::kActive) --active_count_;
  if (it->second.where == Where::kBackoff) --backoff_count_;
  if (it->second.where == Where::kUnschedulable) unschedulable_.erase(key);
  entries_.erase(it);
}

std::optional<QueuedPod> SchedulingQueue::PopLocked() {
  auto later = [this](const HeapItem& a, const HeapItem& b) {
    return options_.less(*b.pod, *a.pod);
  };
  while (!active_.empty()) {
    std::pop_heap(active_.begin(), active_.end(), later);
    HeapItem item = std::move(active_.back());
    active_.pop_back();
    auto it = entries_.find(item.key);
    if (it == entries_.end() || it->second.seq != item.seq || it->second.where != Where::kActive) {
      continue;
    }
    QueuedPod qp = std::move(it->second.qp);
    entries_.erase(it);
    --active_count_;
    qp.attempts += 1;
    qp.cycle = ++cycle_;
    in_flight_[item.key] = qp.pod;
    return qp;
  }
  return std::nullopt;
}

std::optional<QueuedPod> SchedulingQueue::Pop() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (closed_) return std::nullopt;
    if (std::optional<QueuedPod> qp = PopLocked()) return qp;
    cv_.wait(lock);
  }
}

std::optional<QueuedPod> SchedulingQueue::TryPop() {
  std::lock_guard lock(mu_);
  if (closed_) return std::nullopt;
  return PopLocked();
}

void SchedulingQueue::Requeue(QueuedPod qp, bool backoff) {
  std::lock_guard lock(mu_);
  const std::string key = qp.pod->key();
  auto f = in_flight_.find(key);
  if (f != in_flight_.end()) {
    if (f->second == nullptr) {  // deleted while in flight
      in_flight_.erase(f);
      return;
    }
    qp.pod = std::move(f->second);
    in_flight_.erase(f);
  }
  if (entries_.count(key) != 0) return;  // re-added meanwhile; keep the newer entry
  Clock::time_point now = Now();
  Entry& e = entries_[key];
  e.qp = std::move(qp);
  e.since = now;
  e.backoff_until = now + BackoffFor(e.qp.attempts);
  if (backoff || move_request_cycle_ >= e.qp.cycle) {
    PushBackoff(e, key);
  } else {
    e.where = Where::kUnschedulable;
    e.seq = ++seq_;
    unschedulable_.insert(key);
  }
}

void SchedulingQueue::Done(const std::string& key) {
  std::lock_guard lock(mu_);
  in_flight_.erase(key);
}

void SchedulingQueue::MoveAllToActiveOrBackoff() {
  std::lock_guard lock(mu_);
  move_request_cycle_ = cycle_;
  Clock::time_point now = Now();
  std::vector<std::string> keys(unschedulable_.begin(), unschedulable_.end());
  for (const std::string& key : keys) Place(entries_.at(key), key, now);
}

void SchedulingQueue::Flush() {
  std::lock_guard lock(mu_);
  Clock::time_point now = Now();
  auto earlier = [](const BackoffItem& a, const BackoffItem& b) { return a.until > b.until; };
  while (!backoff_.empty() && backoff_.front().until <= now) {
    std::pop_heap(backoff_.begin(), backoff_.end(), earlier);
    BackoffItem item = std::move(backoff_.back());
    backoff_.pop_back();
    auto it = entries_.find(item.key);
    if (it == entries_.end() || it->second.seq != item.seq) continue;
    PushActive(it->second, item.key);
  }
  std::vector<std::string> stale;
  for (const std::string& key : unschedulable_) {
    if (now - entries_.at(key).since >= options_.unschedulable_timeout) stale.push_back(key);
  }
  for (const std::string& key : stale) Place(entries_.at(key), key, now);
}

void SchedulingQueue::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

bool SchedulingQueue::Contains(const std::string& key) const {
  std::lock_guard lock(mu_);
  return entries_.count(key) != 0 || in_flight_.count(key) != 0;
}

QueueSizes SchedulingQueue::Sizes() const {
  std::lock_guard lock(mu_);
  return QueueSizes{active_count_, backoff_count_, unschedulable_.size(), in_flight_.size()};
}

}  // namespace capstan::scheduler
