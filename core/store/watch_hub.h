// `WatchHub`: delivers committed events to prefix watchers from one notifier thread. Each watcher
// is a cursor over the dense revision stream: recent events come from a shared in-memory tail,
// older ones from stored history through a `HistoryReader`, so replay and live delivery are one
// mechanism (no gap, no duplicate) and writers never wait for watchers. Used by leveldb_store.cc;
// tests in tests/core/store/watch_hub_test.cc.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "core/common/status.h"
#include "core/store/store.h"

namespace capstan::store {

// Appends to `out` the stored events with revisions from `from` to `to` inclusive, in order, at
// most `max_events` of them (at least one when `from <= to`). kGone when `from` is at or below the
// compacted revision; kInternal when a row is missing or unreadable. Called only on the notifier
// thread, without the hub's lock.
using HistoryReader =
    std::function<Status(int64_t from, int64_t to, size_t max_events, std::vector<Event>* out)>;

// Thread-safety: every public method may be called from any thread; all state is guarded by
// `mu_`, and callbacks run on the notifier thread without it held. `Publish` never blocks on a
// callback. Owned through std::shared_ptr because watch handles may outlive the owning store.
class WatchHub : public std::enable_shared_from_this<WatchHub> {
 public:
  struct Options {
    // Approximate bytes of recent events kept in memory for all watchers together. Watchers
    // further behind read stored history instead.
    size_t tail_bytes = 8u << 20;
    // At most this many events go to one watcher before the others get a turn.
    size_t max_events_per_turn = 1024;
  };

  // Starts the notifier thread. `revision` is the last committed revision; `compacted` the
  // compacted one. `reader` must stay callable until Stop() returns.
  static std::shared_ptr<WatchHub> Start(int64_t revision, int64_t compacted, HistoryReader reader,
                                         Options options);
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Hands over the events of one durable commit: revisions dense and following the previous
  // call's. Called by the single committer only, after the events are readable from history.
  void Publish(std::shared_ptr<const std::vector<Event>> events);
  // Records a new compacted revision; new watches below it fail with kGone.
  void SetCompacted(int64_t revision);

  // Registers a watcher for keys starting with `prefix` and revisions > `after_revision`.
  // kGone below the compacted revision, kInvalid when negative, kUnavailable after Stop().
  Result<std::unique_ptr<Watch>> Add(std::string_view prefix, int64_t after_revision,
                                     WatchCallback callback, WatchErrorCallback on_error);

  // Ends every watch with kUnavailable (through its error callback, on the notifier thread) and
  // joins the notifier. Idempotent; not to be called concurrently with itself or from a callback.
  void Stop();

  // Number of registered watchers (for tests and metrics).
  size_t WatcherCount() const;

 private:
  struct Watcher;
  class Handle;
  struct TailBatch {
    int64_t first_revision;
    std::shared_ptr<const std::vector<Event>> events;
    size_t bytes;
  };
  // A run of events to deliver: `events[begin, end)`.
  struct Chunk {
    std::shared_ptr<const std::vector<Event>> events;
    size_t begin;
    size_t end;
  };

  WatchHub(int64_t revision, int64_t compacted, HistoryReader reader, Options options);
  void Remove(const std::shared_ptr<Watcher>& watcher);
  void Run();
  // Serves one turn to `w`; `lk` holds `mu_` on entry and exit.
  void Serve(const std::shared_ptr<Watcher>& w, std::unique_lock<std::mutex>& lk);
  // Collects tail events from `from` for one turn; requires from >= tail_first_.
  std::vector<Chunk> TailChunks(int64_t from) const;
  // Ends `w` with `status` through its error callback; `lk` as for Serve.
  void End(const std::shared_ptr<Watcher>& w, const Status& status,
           std::unique_lock<std::mutex>& lk);

  const HistoryReader reader_;
  const Options options_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;      // the notifier waits here for new work
  std::condition_variable callback_cv_;  // cancellers wait here for a running callback
  bool stopping_ = false;
  bool work_pending_ = false;
  int64_t latest_;     // last published revision
  int64_t compacted_;  // last known compacted revision
  std::deque<TailBatch> tail_;
  size_t tail_bytes_ = 0;
  int64_t tail_first_;  // first revision in `tail_`, or latest_ + 1 when empty
  std::vector<std::shared_ptr<Watcher>> watchers_;
  const Watcher* in_callback_ = nullptr;  // the watcher whose callback runs now
  std::thread thread_;
  std::thread::id thread_id_;
};

}  // namespace capstan::store
