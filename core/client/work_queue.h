// `WorkQueue`: the queue of keys between informer event handlers and controller workers —
// deduplicated while queued, never handed to two workers at once, delayed adds and per-key
// exponential backoff (`ExponentialBackoff`). One timer thread per queue drives every delay.
// Implementation in work_queue.cc; tests in tests/core/client/work_queue_test.cc.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace capstan::client {

// Per-key exponential backoff: the n-th call to When(key) since the last Forget(key) returns
// base * 2^(n-1), capped at `max`. Thread-safe (one mutex).
class ExponentialBackoff {
 public:
  explicit ExponentialBackoff(std::chrono::nanoseconds base = std::chrono::milliseconds(5),
                              std::chrono::nanoseconds max = std::chrono::seconds(1000));

  // The delay before retrying `key` now, and counts this failure.
  std::chrono::nanoseconds When(const std::string& key);
  // Clears the key's failures (the next When returns `base`).
  void Forget(const std::string& key);
  // Failures counted for `key` since its last Forget.
  int NumRequeues(const std::string& key) const;

 private:
  const std::chrono::nanoseconds base_;
  const std::chrono::nanoseconds max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> failures_;  // guarded by mu_
};

struct WorkQueueOptions {
  std::chrono::nanoseconds backoff_base = std::chrono::milliseconds(5);
  std::chrono::nanoseconds backoff_max = std::chrono::seconds(1000);
};

// Thread-safe; every method may be called from any thread. State lives behind one mutex; the
// timer thread only moves due keys into the queue through Add.
//
// The contract a worker follows (as in client-go):
//   while (auto key = queue.Get()) {
//     Status s = Reconcile(*key);
//     if (s.ok()) queue.Forget(*key); else queue.AddRateLimited(*key);
//     queue.Done(*key);
//   }
// A key is in at most one of: waiting in the queue, being processed. Adding a key that is being
// processed marks it dirty; Done then queues it again, so no change is lost and no key is
// reconciled by two workers at once.
class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {});
  // Shuts down and joins the timer thread. Keys still delayed are dropped.
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `key` unless it is already queued (dedup) or being processed (then it is requeued on
  // Done). Ignored after ShutDown.
  void Add(const std::string& key);
  // Blocks until a key is available and marks it as being processed; the caller must call
  // Done(key) when finished. After ShutDown, returns the keys still queued, then nullopt.
  std::optional<std::string> Get();
  // Ends processing of `key`; queues it again when it was added meanwhile.
  void Done(const std::string& key);

  // Adds `key` once `delay` has passed (at once when `delay` <= 0). A key already waiting keeps
  // the earlier of its two due times. Ignored after ShutDown.
  void AddAfter(const std::string& key, std::chrono::nanoseconds delay);
  // AddAfter(key, backoff.When(key)): 5 ms, 10 ms, 20 ms, ... up to 1000 s by default.
  void AddRateLimited(const std::string& key);
  // Resets the key's backoff (call after a successful reconcile). Does not dequeue it.
  void Forget(const std::string& key);
  // Rate-limited adds of `key` since its last Forget.
  int NumRequeues(const std::string& key) const;

  // Keys queued and not yet handed out (not counting delayed or in-process keys).
  size_t Len() const;
  // Keys waiting for their delay to pass.
  size_t NumWaiting() const;
  // Stops accepting keys and wakes every blocked Get. Idempotent.
  void ShutDown();
  bool ShuttingDown() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Delayed {
    Clock::time_point due;
    uint64_t seq;  // FIFO among equal due times
    std::string key;
    bool operator>(const Delayed& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };

  void AddLocked(const std::string& key);
  void TimerLoop();

  ExponentialBackoff backoff_;
  mutable std::mutex mu_;
  std::condition_variable ready_cv_;       // signalled when `queue_` grows or on shutdown
  std::condition_variable timer_cv_;       // wakes the timer thread: earlier due time or shutdown
  std::deque<std::string> queue_;          // guarded by mu_
  std::unordered_set<std::string> dirty_;  // queued or to requeue; guarded by mu_
  std::unordered_set<std::string> processing_;                                  // guarded by mu_
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;  // guarded by mu_
  std::unordered_map<std::string, Clock::time_point> waiting_;  // key -> due; guarded by mu_
  uint64_t next_seq_ = 0;                                       // guarded by mu_
  bool shutting_down_ = false;                                  // guarded by mu_
  std::thread timer_;
};

}  // namespace capstan::client
