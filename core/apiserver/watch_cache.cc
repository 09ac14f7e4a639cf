// The watch cache (watch_cache.h): ingest of store events, lists, and watcher dispatch.
#include "core/apiserver/watch_cache.h"

namespace capstan::apiserver {

struct WatchCache::WatcherState {
  ObjectFilter filter;
  WatchSink sink;
  // Events at or below this revision were replayed or predate the watch; live dispatch skips
  // them (the cache may still be ingesting revisions the watch started after).
  int64_t after_revision = 0;
  bool cancelled = false;
};

WatchCache::WatchCache(Options options) : options_(std::move(options)) {}

Status WatchCache::Prime(const std::vector<store::KeyValue>& items, int64_t revision) {
  std::unique_lock lock(mu_);
  objects_.clear();
  for (const store::KeyValue& kv : items) {
    Result<CachedObject> obj = options_.decoder(kv.key, kv.value, kv.mod_revision);
    if (!obj.ok()) return obj.status().WithContext("priming watch cache " + options_.prefix);
    objects_.emplace(kv.key, std::make_shared<const CachedObject>(std::move(*obj)));
  }
  window_.clear();
  window_start_ = revision;
  revision_.store(revision);
  return Status::Ok();
}

int64_t WatchCache::Revision() const { return revision_.load(); }

std::shared_ptr<const PreparedWrite> WatchCache::PrepareWrite(const std::string& key,
                                                              nlohmann::json& obj) {
  std::shared_ptr<const PreparedWrite> p = apiserver::PrepareWrite(key, obj, options_.extract);
  if (p == nullptr) return nullptr;
  std::lock_guard lock(prepared_mu_);
  prepared_[key] = p;
  return p;
}

void WatchCache::AbandonWrite(const std::string& key,
                              const std::shared_ptr<const PreparedWrite>& write) {
  if (write == nullptr) return;
  std::lock_guard lock(prepared_mu_);
  auto it = prepared_.find(key);
  if (it != prepared_.end() && it->second == write) prepared_.erase(it);
}

size_t WatchCache::PreparedCount() const {
  std::lock_guard lock(prepared_mu_);
  return prepared_.size();
}

Result<CachedObject> WatchCache::DecodePut(const store::KeyValue& kv) {
  std::shared_ptr<const PreparedWrite> p;
  {
    std::lock_guard lock(prepared_mu_);
    auto it = prepared_.find(kv.key);
    if (it != prepared_.end() && it->second->stored == kv.value) {
      p = std::move(it->second);
      prepared_.erase(it);
    }
  }
  if (p != nullptr) return CachedFromPrepared(*p, kv.mod_revision);
  return options_.decoder(kv.key, kv.value, kv.mod_revision);
}

void WatchCache::Advance(int64_t revision) {
  std::unique_lock lock(mu_);
  if (revision > revision_.load()) revision_.store(revision);
}

void WatchCache::Ingest(std::span<const store::Event> events) {
  std::unique_lock lock(mu_);
  for (const store::Event& e : events) {
    if (e.kv.mod_revision <= revision_.load()) continue;  // primed past it already
    CacheEvent ce;
    ce.revision = e.kv.mod_revision;
    auto it = objects_.find(e.kv.key);
    if (it != objects_.end()) ce.prev = it->second;
    if (e.type == store::EventType::kPut) {
      Result<CachedObject> obj = DecodePut(e.kv);
      if (!obj.ok()) continue;  // undecodable bytes stay out of the cache
      ce.type = ce.prev ? WatchEventType::kModified : WatchEventType::kAdded;
      ce.object = std::make_shared<const CachedObject>(std::move(*obj));
      objects_[e.kv.key] = ce.object;
    } else {
      if (!ce.prev) continue;
      // A deleted object is served as its last state, carrying the delete's revision.
      ce.type = WatchEventType::kDeleted;
      if (ce.prev->rv_pos != std::string::npos) {
        ce.object = std::make_shared<const CachedObject>(WithRevision(*ce.prev, ce.revision));
      } else {
        std::string_view last = e.prev ? std::string_view(e.prev->value) : std::string_view();
        Result<CachedObject> obj = options_.decoder(e.kv.key, last, e.kv.mod_revision);
        ce.object = obj.ok() ? std::make_shared<const CachedObject>(std::move(*obj)) : ce.prev;
      }
      objects_.erase(it);
    }
    revision_.store(ce.revision);
    Dispatch(ce);
    window_.push_back(std::move(ce));
    while (window_.size() > options_.window_events) {
      window_start_ = window_.front().revision;
      window_.pop_front();
    }
  }
}

namespace {

// Translates an event for a watcher whose filter may accept the old state, the new one, both
// or neither. Returns false when the watcher should not see the event at all.
bool Translate(const CacheEvent& in, const ObjectFilter& filter, CacheEvent* out) {
  bool now = in.type != WatchEventType::kDeleted && filter(*in.object);
  bool before = in.prev && filter(*in.prev);
  *out = in;
  if (in.type == WatchEventType::kDeleted) return before;
  if (now && before) return true;
  if (now) {
    out->type = WatchEventType::kAdded;
    return true;
  }
  if (before) {
    // The object left the watcher's view: it sees a deletion of the new state.
    out->type = WatchEventType::kDeleted;
    return true;
  }
  return false;
}

}  // namespace

void WatchCache::Dispatch(const CacheEvent& event) {
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    WatcherState& w = *it->second;
    CacheEvent out;
    if (!w.cancelled && event.revision > w.after_revision && Translate(event, w.filter, &out) &&
        !w.sink(out)) {
      w.cancelled = true;
    }
    if (w.cancelled) {
      it = watchers_.erase(it);
    } else {
      ++it;
    }
  }
}

CacheListResult WatchCache::List(const std::string& key_prefix, const std::string& start_after,
                                 int64_t limit, const ObjectFilter& filter) const {
  std::shared_lock lock(mu_);
  CacheListResult result;
  result.revision = revision_.load();
  auto it =
      start_after.empty() ? objects_.lower_bound(key_prefix) : objects_.upper_bound(start_after);
  auto in_range = [&](const auto& i) {
    return i != objects_.end() && i->first.compare(0, key_prefix.size(), key_prefix) == 0;
  };
  for (; in_range(it); ++it) {
    if (filter && !filter(*it->second)) continue;
    if (limit > 0 && static_cast<int64_t>(result.items.size()) >= limit) {
      // A next match exists: the page ends here. Counting the rest is cheap only unfiltered.
      result.continue_after = result.items.back()->key;
      result.remaining_known = !filter;
      if (!filter) {
        for (; in_range(it); ++it) ++result.remaining;
      }
      break;
    }
    result.items.push_back(it->second);
  }
  return result;
}

CachedObjectPtr WatchCache::Get(const std::string& key) const {
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

Result<std::unique_ptr<CacheWatcher>> WatchCache::Watch(int64_t after_revision, ObjectFilter filter,
                                                        WatchSink sink) {
  std::unique_lock lock(mu_);
  if (!filter) filter = [](const CachedObject&) { return true; };
  auto state = std::make_shared<WatcherState>();
  state->filter = std::move(filter);
  state->sink = std::move(sink);
  state->after_revision = after_revision == 0 ? revision_.load() : after_revision;
  if (after_revision == 0) {
    for (const auto& [key, obj] : objects_) {
      if (!state->filter(*obj)) continue;
      CacheEvent e{WatchEventType::kAdded, obj->revision, obj, nullptr};
      if (!state->sink(e))
        return Status(StatusCode::kCancelled, "watcher refused the initial events");
    }
  } else {
    if (after_revision < window_start_) {
      return GoneError("too old resource version: " + std::to_string(after_revision) + " (" +
                       std::to_string(window_start_) + ")");
    }
    for (const CacheEvent& e : window_) {
      if (e.revision <= after_revision) continue;
      CacheEvent out;
      if (Translate(e, state->filter, &out) && !state->sink(out))
        return Status(StatusCode::kCancelled, "watcher refused the initial events");
    }
  }
  uint64_t id = next_watcher_id_++;
  watchers_.emplace(id, std::move(state));
  return std::unique_ptr<CacheWatcher>(new CacheWatcher(this, id));
}

void WatchCache::RemoveWatcher(uint64_t id) {
  std::unique_lock lock(mu_);
  watchers_.erase(id);
}

size_t WatchCache::WatcherCount() const {
  std::shared_lock lock(mu_);
  return watchers_.size();
}

size_t WatchCache::ObjectCount() const {
  std::shared_lock lock(mu_);
  return objects_.size();
}

CacheWatcher::~CacheWatcher() { cache_->RemoveWatcher(id_); }

}  // namespace capstan::apiserver
