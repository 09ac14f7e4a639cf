// The scheduling queue: activeQ ordered by the profile's QueueSort plugin, backoffQ (1 s doubling
// per attempt up to 10 s, as upstream), and unschedulableQ whose pods move back on cluster events
// that may make them schedulable, or after `unschedulable_timeout` (60 s here; upstream 5 min).
// Used by scheduler.h. Tests in tests/core/scheduler/queue_test.cc.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/scheduler/pod_info.h"

namespace capstan::scheduler {

// A pod handed out by Pop(): the pod, its attempt count (1 on the first attempt) and the
// scheduling cycle it was popped in.
struct QueuedPod {
  std::shared_ptr<const PodInfo> pod;
  int attempts = 0;
  uint64_t cycle = 0;
};

struct QueueSizes {
  size_t active = 0;
  size_t backoff = 0;
  size_t unschedulable = 0;
  size_t in_flight = 0;
};

// Thread-safe (one mutex). `less` is called under that mutex and must not call back.
class SchedulingQueue {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::function<bool(const PodInfo& a, const PodInfo& b)> less;  // required
    Clock::duration initial_backoff = std::chrono::seconds(1);
    Clock::duration max_backoff = std::chrono::seconds(10);
    Clock::duration unschedulable_timeout = std::chrono::seconds(60);
    std::function<Clock::time_point()> now;  // NULL: Clock::now
  };
  explicit SchedulingQueue(Options options);

  // A new pending pod goes to activeQ; a known one is updated where it is. An update to a pod
  // in unschedulableQ moves it to activeQ (or backoffQ while backing off): the change may make
  // it schedulable. An update of an in-flight pod is kept for when its attempt ends.
  void AddOrUpdate(std::shared_ptr<const PodInfo> pod);
  void Delete(const std::string& key);

  // Blocks until a pod is active or Close(); nullopt once closed.
  std::optional<QueuedPod> Pop();
  // Non-blocking Pop.
  std::optional<QueuedPod> TryPop();

  // Ends an attempt that did not place the pod. `backoff` (an error, or the pod must wait) puts
  // it in backoffQ; otherwise it goes to unschedulableQ, unless a move request came during its
  // cycle (then backoffQ, as upstream). Dropped when the pod was deleted meanwhile.
  void Requeue(QueuedPod pod, bool backoff);
  // Ends an attempt that placed the pod (assumed): it leaves the queue.
  void Done(const std::string& key);

  // A cluster event (node added/updated, pod deleted, ...) may have made unschedulable pods
  // schedulable: all move to activeQ, or backoffQ while their backoff lasts.
  void MoveAllToActiveOrBackoff();
  // Moves backoffQ pods whose backoff expired and unschedulableQ pods older than the timeout.
  // The scheduler calls it every second.
  void Flush();
  // Wakes Pop() callers; further Pops return nullopt.
  void Close();

  bool Contains(const std::string& key) const;
  QueueSizes Sizes() const;
  // Backoff after `attempts` failed attempts: initial * 2^(attempts-1), capped.
  Clock::duration BackoffFor(int attempts) const;

 private:
  enum class Where : uint8_t { kActive, kBackoff, kUnschedulable };
  struct Entry {
    QueuedPod qp;
    Where where = Where::kActive;
    uint64_t seq = 0;
    Clock::time_point backoff_until{};
    Clock::time_point since{};
  };
  struct HeapItem {
    std::shared_ptr<const PodInfo> pod;
    std::string key;
    uint64_t seq;
  };
  struct BackoffItem {
    Clock::time_point until;
    std::string key;
    uint64_t seq;
  };

  Clock::time_point Now() const { return options_.now ? options_.now() : Clock::now(); }
  void PushActive(Entry& e, const std::string& key);
  void PushBackoff(Entry& e, const std::string& key);
  void Place(Entry& e, const std::string& key, Clock::time_point now);
  std::optional<QueuedPod> PopLocked();

  Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Entry> entries_;
  std::vector<HeapItem> active_;      // heap; stale items skipped on pop
  std::vector<BackoffItem> backoff_;  // min-heap by `until`
  std::unordered_set<std::string> unschedulable_;
  // In-flight pods: the latest version seen while scheduling (NULL after a delete).
  std::unordered_map<std::string, std::shared_ptr<const PodInfo>> in_flight_;
  uint64_t seq_ = 0;
  uint64_t cycle_ = 0;
  uint64_t move_request_cycle_ = 0;
  size_t active_count_ = 0;
  size_t backoff_count_ = 0;
  bool closed_ = false;
};

}  // namespace capstan::scheduler
