// Notifier loop and watcher bookkeeping for `WatchHub` (watch_hub.h). One thread serves every
// watcher in turns of at most `max_events_per_turn` events, so a watcher replaying a long history
// does not starve live ones.
#include "core/store/watch_hub.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <span>
#include <string>
#include <utility>

namespace capstan::store {

struct WatchHub::Watcher {
  Watcher(std::string_view p, WatchCallback cb, WatchErrorCallback err)
      : prefix(p), callback(std::move(cb)), on_error(std::move(err)) {}

  const std::string prefix;
  const WatchCallback callback;
  const WatchErrorCallback on_error;
  int64_t next = 0;  // next revision to deliver; guarded by mu_, written only by the notifier
  // Cleared under mu_ when the watch ends; read without it between callbacks of one turn.
  std::atomic<bool> active{true};
};

class WatchHub::Handle : public Watch {
 public:
  Handle(std::shared_ptr<WatchHub> hub, std::shared_ptr<Watcher> watcher)
      : hub_(std::move(hub)), watcher_(std::move(watcher)) {}
  ~Handle() override { hub_->Remove(watcher_); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

 private:
  std::shared_ptr<WatchHub> hub_;
  std::shared_ptr<Watcher> watcher_;
};

namespace {

size_t EventBytes(const Event& e) {
  return sizeof(Event) + e.kv.key.size() + e.kv.value.size() + (e.prev ? e.prev->value.size() : 0);
}

}  // namespace

WatchHub::WatchHub(int64_t revision, int64_t compacted, HistoryReader reader, Options options)
    : reader_(std::move(reader)),
      options_(options),
      latest_(revision),
      compacted_(compacted),
      tail_first_(revision + 1) {}

std::shared_ptr<WatchHub> WatchHub::Start(int64_t revision, int64_t compacted, HistoryReader reader,
                                          Options options) {
  if (options.max_events_per_turn == 0) options.max_events_per_turn = 1;
  std::shared_ptr<WatchHub> hub(new WatchHub(revision, compacted, std::move(reader), options));
  std::lock_guard lk(hub->mu_);
  hub->thread_ = std::thread([raw = hub.get()] {
    pthread_setname_np(pthread_self(), "store-watch");
    raw->Run();
  });
  hub->thread_id_ = hub->thread_.get_id();
  return hub;
}

WatchHub::~WatchHub() { Stop(); }

void WatchHub::Stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    work_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

size_t WatchHub::WatcherCount() const {
  std::lock_guard lk(mu_);
  return watchers_.size();
}

void WatchHub::Publish(std::shared_ptr<const std::vector<Event>> events) {
  if (!events || events->empty()) return;
  size_t bytes = 0;
  for (const Event& e : *events) bytes += EventBytes(e);
  const int64_t first = events->front().kv.mod_revision;
  const int64_t last = events->back().kv.mod_revision;
  std::lock_guard lk(mu_);
  tail_.push_back({first, std::move(events), bytes});
  tail_bytes_ += bytes;
  latest_ = last;
  while (tail_.size() > 1 && tail_bytes_ > options_.tail_bytes) {
    tail_bytes_ -= tail_.front().bytes;
    tail_.pop_front();
  }
  tail_first_ = tail_.front().first_revision;
  work_pending_ = true;
  work_cv_.notify_one();
}

void WatchHub::SetCompacted(int64_t revision) {
  std::lock_guard lk(mu_);
  compacted_ = std::max(compacted_, revision);
}

Result<std::unique_ptr<Watch>> WatchHub::Add(std::string_view prefix, int64_t after_revision,
                                             WatchCallback callback, WatchErrorCallback on_error) {
  if (after_revision < 0) {
    return InvalidError("watch from negative revision " + std::to_string(after_revision));
  }
  if (!callback) return InvalidError("watch without a callback");
  auto w = std::make_shared<Watcher>(prefix, std::move(callback), std::move(on_error));
  std::lock_guard lk(mu_);
  if (stopping_) return UnavailableError("store is closing");
  if (after_revision < compacted_) {
    return GoneError("too old resource version: " + std::to_string(after_revision) + " (" +
                     std::to_string(compacted_) + ")");
  }
  w->next = after_revision + 1;
  watchers_.push_back(w);
  work_pending_ = true;
  work_cv_.notify_one();
  return std::unique_ptr<Watch>(new Handle(shared_from_this(), std::move(w)));
}

void WatchHub::Remove(const std::shared_ptr<Watcher>& watcher) {
  std::unique_lock lk(mu_);
  watcher->active = false;
  std::erase(watchers_, watcher);
  // A handle destroyed inside its own callback must not wait for itself.
  if (std::this_thread::get_id() != thread_id_) {
    callback_cv_.wait(lk, [&] { return in_callback_ != watcher.get(); });
  }
}

void WatchHub::Run() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    work_pending_ = false;
    const std::vector<std::shared_ptr<Watcher>> turn = watchers_;
    bool behind = false;
    for (const auto& w : turn) {
      if (stopping_) break;
      if (!w->active || w->next > latest_) continue;
      Serve(w, lk);
      if (w->active && w->next <= latest_) behind = true;
    }
    if (!behind) work_cv_.wait(lk, [&] { return stopping_ || work_pending_; });
  }
  const std::vector<std::shared_ptr<Watcher>> rest = watchers_;
  for (const auto& w : rest) {
    if (w->active) End(w, UnavailableError("store is closing"), lk);
  }
}

std::vector<WatchHub::Chunk> WatchHub::TailChunks(int64_t from) const {
  std::vector<Chunk> chunks;
  auto it = std::upper_bound(tail_.begin(), tail_.end(), from,
                             [](int64_t r, const TailBatch& b) { return r < b.first_revision; });
  if (it == tail_.begin()) return chunks;
  --it;
  size_t budget = options_.max_events_per_turn;
  auto begin = static_cast<size_t>(from - it->first_revision);
  for (; it != tail_.end() && budget > 0; ++it, begin = 0) {
    size_t n = std::min(it->events->size() - begin, budget);
    chunks.push_back({it->events, begin, begin + n});
    budget -= n;
  }
  return chunks;
}

void WatchHub::Serve(const std::shared_ptr<Watcher>& w, std::unique_lock<std::mutex>& lk) {
  const int64_t from = w->next;
  std::vector<Chunk> chunks;
  if (from >= tail_first_) {
    chunks = TailChunks(from);
  } else {
    const int64_t to = std::min(latest_, tail_first_ - 1);
    auto events = std::make_shared<std::vector<Event>>();
    lk.unlock();
    Status st = reader_(from, to, options_.max_events_per_turn, events.get());
    if (st.ok() && (events->empty() || events->front().kv.mod_revision != from ||
                    events->back().kv.mod_revision > to)) {
      st = InternalError("stored history does not start at revision " + std::to_string(from));
    }
    lk.lock();
    if (!w->active) return;
    if (!st.ok()) {
      End(w, st.WithContext("watch on prefix \"" + w->prefix + "\""), lk);
      return;
    }
    const size_t n = events->size();
    chunks.push_back({std::move(events), 0, n});
  }
  if (chunks.empty()) return;
  const Chunk& last_chunk = chunks.back();
  const int64_t last = (*last_chunk.events)[last_chunk.end - 1].kv.mod_revision;

  in_callback_ = w.get();
  lk.unlock();
  for (const Chunk& c : chunks) {
    const std::vector<Event>& ev = *c.events;
    // Deliver maximal runs of matching events straight from the shared batch (no copies).
    size_t i = c.begin;
    while (i < c.end && w->active.load(std::memory_order_relaxed)) {
      while (i < c.end && !ev[i].kv.key.starts_with(w->prefix)) ++i;
      size_t j = i;
      while (j < c.end && ev[j].kv.key.starts_with(w->prefix)) ++j;
      if (j > i) w->callback(std::span<const Event>(ev.data() + i, j - i));
      i = j;
    }
  }
  lk.lock();
  in_callback_ = nullptr;
  callback_cv_.notify_all();
  if (w->active) w->next = last + 1;
}

void WatchHub::End(const std::shared_ptr<Watcher>& w, const Status& status,
                   std::unique_lock<std::mutex>& lk) {
  w->active = false;
  std::erase(watchers_, w);
  if (!w->on_error) return;
  in_callback_ = w.get();
  lk.unlock();
  w->on_error(status);
  lk.lock();
  in_callback_ = nullptr;
  callback_cv_.notify_all();
}

}  // namespace capstan::store
