// `WatchCache`: the API server's in-memory view of one resource, fed by `CacheHub` (cache_hub.h)
// from the store's single watch. Lists and watches are served from it (never from the store),
// with the bytes each object is served as computed once per write. Partners: cached_object.h
// (what is kept per object), cache_hub.h (feeding and consistent reads).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/apiserver/cached_object.h"
#include "core/apiserver/prepared_write.h"
#include "core/common/status.h"
#include "core/store/store.h"

namespace capstan::apiserver {

enum class WatchEventType : uint8_t { kAdded, kModified, kDeleted };

// One change as watchers see it. `object` is the new state (for kDeleted: the last state, with
// the delete's resourceVersion). `prev` is the previous state or null.
struct CacheEvent {
  WatchEventType type = WatchEventType::kAdded;
  int64_t revision = 0;
  CachedObjectPtr object;
  CachedObjectPtr prev;
};

// Decides whether an object is visible to a list or watch (namespace, selectors).
using ObjectFilter = std::function<bool(const CachedObject&)>;

// Receives events for one watcher, in revision order, on the cache's dispatch thread. Must not
// block. Returning false cancels the watcher (e.g. the client went away).
using WatchSink = std::function<bool(const CacheEvent& event)>;

class CacheWatcher;

struct CacheListResult {
  std::vector<CachedObjectPtr> items;
  int64_t revision = 0;
  // Key of the last item when more matched past `limit`; empty otherwise.
  std::string continue_after;
  // Number of items after the returned ones (only counted when `continue_after` is set and the
  // list has no filter: upstream omits `remainingItemCount` for selective lists).
  int64_t remaining = 0;
  bool remaining_known = true;
};

// Thread-safe. State lives behind `mu_` (a shared mutex: lists share it, ingest takes it
// exclusively); watcher callbacks run under it, which is why sinks must not block.
class WatchCache {
 public:
  struct Options {
    std::string prefix;            // store prefix of the resource, ending in '/'
    size_t window_events = 10000;  // events kept for watches that resume from a revision
    ObjectDecoder decoder;         // turns stored bytes into a CachedObject
    FieldExtractor extract;        // the selectable fields of a parsed object (PrepareWrite)
  };

  explicit WatchCache(Options options);
  WatchCache(const WatchCache&) = delete;
  WatchCache& operator=(const WatchCache&) = delete;

  // Called by CacheHub only. Prime: the resource's items as listed at `revision`. Ingest: store
  // events for this resource, in revision order. Advance: no events for this resource up to
  // `revision`. Errors from Prime: the decoder's.
  Status Prime(const std::vector<store::KeyValue>& items, int64_t revision);
  void Ingest(std::span<const store::Event> events);
  void Advance(int64_t revision);

  // Writers call this with the object they are about to store at `key`: it returns what to
  // store (`stored` of the result), and the cache indexes the write's event from it instead of
  // parsing the bytes (prepared_write.h). Null when the object cannot be prepared (store
  // SerializeForStore's bytes instead). After a failed store write, call `AbandonWrite`.
  // Thread-safe; writers never wait for the ingest thread.
  std::shared_ptr<const PreparedWrite> PrepareWrite(const std::string& key, nlohmann::json& obj);
  void AbandonWrite(const std::string& key, const std::shared_ptr<const PreparedWrite>& write);
  size_t PreparedCount() const;

  // The revision the cache reflects (the store's, not just this resource's last write).
  int64_t Revision() const;
  const std::string& prefix() const { return options_.prefix; }

  // Lists objects with keys under `key_prefix` (the resource prefix, or a namespace within it)
  // that pass `filter`, in key order, starting after `start_after`, at most `limit` (0 = all).
  CacheListResult List(const std::string& key_prefix, const std::string& start_after, int64_t limit,
                       const ObjectFilter& filter) const;
  // One object by store key, or null.
  CachedObjectPtr Get(const std::string& key) const;

  // Starts a watcher. `after_revision` 0 sends a synthetic kAdded for every current object that
  // passes `filter`, then changes; otherwise only changes after that revision. kGone (message
  // "too old resource version: X (Y)") when the window no longer covers `after_revision`.
  // Objects that stop passing the filter are delivered as kDeleted, objects that start passing it
  // as kAdded. Destroying the returned handle stops delivery.
  Result<std::unique_ptr<CacheWatcher>> Watch(int64_t after_revision, ObjectFilter filter,
                                              WatchSink sink);

  size_t WatcherCount() const;
  size_t ObjectCount() const;

 private:
  friend class CacheWatcher;
  struct WatcherState;

  void Dispatch(const CacheEvent& event);
  // The cached form of a put event: from a matching prepared write, else decoded.
  Result<CachedObject> DecodePut(const store::KeyValue& kv);
  void RemoveWatcher(uint64_t id);

  Options options_;
  mutable std::shared_mutex mu_;
  std::atomic<int64_t> revision_{0};                             // written under mu_ (exclusive)
  std::map<std::string, CachedObjectPtr, std::less<>> objects_;  // guarded by mu_
  std::deque<CacheEvent> window_;                                // guarded by mu_
  int64_t window_start_ = 0;  // oldest revision a watch may resume from; guarded by mu_
  std::map<uint64_t, std::shared_ptr<WatcherState>> watchers_;  // guarded by mu_
  uint64_t next_watcher_id_ = 1;                                // guarded by mu_
  mutable std::mutex prepared_mu_;
  // The latest prepared write per key; an event whose bytes differ is decoded the slow way.
  std::unordered_map<std::string, std::shared_ptr<const PreparedWrite>> prepared_;
};

// Handle of a running watch; destroying it unregisters the sink (no call after it returns,
// unless called from within the sink itself).
class CacheWatcher {
 public:
  ~CacheWatcher();
  CacheWatcher(const CacheWatcher&) = delete;
  CacheWatcher& operator=(const CacheWatcher&) = delete;

 private:
  friend class WatchCache;
  CacheWatcher(WatchCache* cache, uint64_t id) : cache_(cache), id_(id) {}
  WatchCache* cache_;
  uint64_t id_;
};

}  // namespace capstan::apiserver
