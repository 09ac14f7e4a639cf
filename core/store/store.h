// `Store`: the revisioned key-value interface under the API server (etcd v3 semantics).
// Backends: `LevelDbStore` (leveldb_store.h, embedded, default) and later an etcd v3 backend.
// Nothing backend-specific appears here. Tests: tests/core/store/.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/status.h"

namespace capstan::store {

// One stored value. Revisions are global and strictly increasing across all keys: every
// successful write (create, update, delete) gets the next revision.
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;  // revision of the create that made this key live
  int64_t mod_revision = 0;     // revision of the last write to this key
};

enum class EventType : uint8_t { kPut, kDelete };

// A change, as delivered to watchers. For kPut `kv` is the new value and `prev` the old one
// (absent on create). For kDelete `kv.key` is the key, `kv.mod_revision` the delete's revision,
// `kv.value` empty, and `prev` the value that was deleted.
struct Event {
  EventType type = EventType::kPut;
  KeyValue kv;
  std::optional<KeyValue> prev;
};

struct ListOptions {
  // Keys that start with `prefix`, in byte order.
  std::string prefix;
  // Only keys strictly greater than this (for continue tokens); empty: from the start.
  std::string start_after;
  // At most this many items; 0: no limit.
  int64_t limit = 0;
  // Read at this revision; 0: the current one. A revision below CompactedRevision() fails
  // with kGone; above CurrentRevision() fails with kInvalid ("future revision").
  int64_t revision = 0;
};

struct ListResult {
  std::vector<KeyValue> items;
  int64_t revision = 0;  // the revision the list reflects
  bool more = false;     // more keys match after the last item
};

// Receives batches of events in revision order from a store-owned thread. Must not block and
// must not call back into the store's watch functions. A batch never splits one revision.
using WatchCallback = std::function<void(std::span<const Event> events)>;

// Called at most once, on the thread that runs the `WatchCallback`, when the store ends a watch
// by itself; no callback of either kind follows it. Codes: kGone when the watcher fell behind
// compaction ("too old resource version": re-list and watch again), kUnavailable when the store
// is closing, kInternal when stored history is unreadable. Must not block.
using WatchErrorCallback = std::function<void(const Status& status)>;

// A registered watch; destroying it cancels delivery (no callback runs after the destructor
// returns).
class Watch {
 public:
  virtual ~Watch() = default;
};

// Completion of an asynchronous write: the result the synchronous call would have returned.
using WriteCallback = std::function<void(Result<KeyValue> result)>;

// Thread-safe: every method may be called from any thread concurrently.
class Store {
 public:
  virtual ~Store() = default;

  // The revision of the last acknowledged write (0 for an empty store).
  virtual int64_t CurrentRevision() const = 0;
  // Events at or below this revision are gone: watches from below it (`after_revision` <
  // compacted) and lists at revisions below it return kGone.
  virtual int64_t CompactedRevision() const = 0;

  // kNotFound when absent.
  virtual Result<KeyValue> Get(std::string_view key) = 0;
  virtual Result<ListResult> List(const ListOptions& options) = 0;

  // Writes are durable when they return OK (fsync'd; batched with concurrent writers).
  // Create: kAlreadyExists when the key is live.
  virtual Result<KeyValue> Create(std::string_view key, std::string_view value) = 0;
  // Update: `expected_mod_revision` 0 means unconditional; otherwise kConflict unless it equals
  // the key's mod_revision. kNotFound when absent.
  virtual Result<KeyValue> Update(std::string_view key, std::string_view value,
                                  int64_t expected_mod_revision) = 0;
  // Delete: returns the deleted value; same CAS rule as Update. kNotFound when absent.
  virtual Result<KeyValue> Delete(std::string_view key, int64_t expected_mod_revision) = 0;

  // Non-blocking forms of Create, Update and Delete, for callers that must not wait for a disk
  // sync (Asio handlers). The key and value are copied before returning. `done` runs exactly
  // once, when the write is durable or has failed — on a store-owned thread, in commit order,
  // or on the caller's thread before returning — and must not block or call the synchronous
  // write methods (post the work elsewhere). These defaults run the synchronous call inline;
  // backends with a commit thread override them. (`done` is by value so overrides can keep it.)
  virtual void CreateAsync(std::string_view key, std::string_view value,
                           WriteCallback done) {  // NOLINT(performance-unnecessary-value-param)
    done(Create(key, value));
  }
  virtual void UpdateAsync(std::string_view key, std::string_view value,
                           int64_t expected_mod_revision,
                           WriteCallback done) {  // NOLINT(performance-unnecessary-value-param)
    done(Update(key, value, expected_mod_revision));
  }
  virtual void DeleteAsync(std::string_view key, int64_t expected_mod_revision,
                           WriteCallback done) {  // NOLINT(performance-unnecessary-value-param)
    done(Delete(key, expected_mod_revision));
  }

  // Delivers every event on keys starting with `prefix` with revision > `after_revision`, first
  // the retained history, then live events, with no gap and no duplicate. kGone ("too old
  // resource version") when `after_revision` < CompactedRevision(); an `after_revision` above
  // CurrentRevision() waits for that revision. Writers never wait for watchers: a watcher that
  // falls behind catches up from stored history, and ends with kGone via `on_error` (may be
  // null) if compaction overtakes it.
  virtual Result<std::unique_ptr<Watch>> WatchPrefix(std::string_view prefix,
                                                     int64_t after_revision, WatchCallback callback,
                                                     WatchErrorCallback on_error) = 0;
  // Same, without an error callback: a watch the store ends just stops delivering.
  Result<std::unique_ptr<Watch>> WatchPrefix(std::string_view prefix, int64_t after_revision,
                                             WatchCallback callback) {
    return WatchPrefix(prefix, after_revision, std::move(callback), nullptr);
  }

  // Drops history at or below `revision` (keeps current values). kInvalid above current.
  virtual Status Compact(int64_t revision) = 0;
};

}  // namespace capstan::store
