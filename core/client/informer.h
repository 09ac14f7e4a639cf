// `Informer`: list+watch of one resource into a cache of parsed objects shared as
// `std::shared_ptr<const nlohmann::json>`, with event handlers run in order on the informer's own
// thread. Relists (and diffs against the cache) after 410 Gone or a failed watch; follows
// bookmarks. Partners: api_client.h (transport), work_queue.h (what handlers feed).
// Implementation: informer.cc (loop, cache) and informer_list.cc (paginated LIST, diff).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/client/api_client.h"
#include "core/common/status.h"

namespace capstan::client {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;

// The cache key of an object: "namespace/name", or "name" for cluster-scoped objects.
std::string ObjectKey(const nlohmann::json& object);

// Any member may be empty. Handlers run on the informer thread, one event at a time, after the
// cache reflects the event; they should only enqueue keys (work_queue.h) and return. They must
// not call Informer::Stop() nor block on the informer.
struct EventHandler {
  std::function<void(const ObjectPtr& object)> on_add;
  // `old_object` and `new_object` are the same pointer for a periodic resync.
  std::function<void(const ObjectPtr& old_object, const ObjectPtr& new_object)> on_update;
  // The last state the informer saw (for an object deleted while the informer was relisting,
  // the cached state before the relist).
  std::function<void(const ObjectPtr& last)> on_delete;
};

struct InformerOptions {
  // Collection path: "/api/v1/pods", "/api/v1/namespaces/default/pods",
  // "/apis/apps/v1/replicasets". No query string.
  std::string path;
  std::string label_selector;  // e.g. "app=web,tier!=db"
  std::string field_selector;  // e.g. "spec.nodeName=node-1"
  // LIST page size (`limit`); 0 lists in one page.
  int64_t page_size = 500;
  // Sent as the watch's `timeoutSeconds`; after a clean end the watch resumes from the last
  // resourceVersion without a relist.
  int64_t watch_timeout_seconds = 300;
  // When > 0, every handler gets on_update(obj, obj) for every cached object this often.
  std::chrono::milliseconds resync_period{0};
  // Backoff between failed LISTs or watches: doubles from `retry_initial` up to `retry_max`.
  std::chrono::milliseconds retry_initial{100};
  std::chrono::milliseconds retry_max{10'000};
  // Per-page LIST timeout.
  std::chrono::milliseconds list_timeout{60'000};
};

// Counters for tests and metrics.
struct InformerStats {
  int64_t lists = 0;         // complete LISTs (all pages)
  int64_t watches = 0;       // watches started
  int64_t gone = 0;          // 410 Gone seen (ERROR event or HTTP 410)
  int64_t watch_errors = 0;  // watches that ended with an error other than 410
};

// Thread-safe: the cache accessors, AddHandler, WaitForSync and Stop may be called from any
// thread (not Stop from a handler). The cache is behind one shared mutex; handlers and the
// list/watch loop run on the informer thread.
class Informer {
 public:
  // `client` is borrowed and must outlive the informer. Does not start; see Start().
  Informer(ApiClient* client, InformerOptions options);
  // Stops (see Stop()).
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Registers handlers. Before Start(), they see every object as on_add during the first
  // sync; added later, they first get on_add for every cached object (on the informer thread),
  // then live events. Handlers cannot be removed; they live as long as the informer.
  void AddHandler(EventHandler handler);

  // Starts the informer thread: LIST (paginated), then WATCH from the list's resourceVersion
  // with bookmarks. Errors never stop it: it retries with backoff until Stop(). Call once.
  void Start();
  // Ends the watch, joins the informer thread. After it returns no handler runs. Idempotent.
  void Stop();

  // True once the first LIST has been applied and its handlers called.
  bool HasSynced() const;
  // Waits until HasSynced() or `timeout`; returns HasSynced().
  bool WaitForSync(std::chrono::milliseconds timeout) const;

  // Cache reads: the objects as of the last event applied. Null / empty when absent.
  ObjectPtr Get(const std::string& key) const;
  std::vector<ObjectPtr> List() const;
  // Objects in `ns` (namespaced resources only).
  std::vector<ObjectPtr> List(const std::string& ns) const;
  size_t Size() const;
  // The resourceVersion the cache reflects (from the LIST, events and bookmarks).
  std::string ResourceVersion() const;
  InformerStats Stats() const;
  const InformerOptions& options() const { return options_; }

 private:
  // One item for the informer thread: a watch event or the end of a watch.
  struct Item {
    uint64_t watch_id = 0;
    bool end = false;
    Status end_status;
    WatchEventType type = WatchEventType::kAdded;
    ObjectPtr object;
  };

  // What the loop does after a watch ends.
  enum class Next : uint8_t { kRewatch, kRelist, kRelistAfterBackoff, kStop };

  void Run();
  // informer_list.cc: LIST all pages, swap the cache and deliver the differences.
  Status ListAndReplace();
  Result<nlohmann::json> ListPage(const std::string& continue_token);
  void ReplaceCache(std::map<std::string, ObjectPtr> fresh, std::string rv);
  std::string SelectorQuery() const;
  // informer.cc
  std::string WatchPath() const;
  Next WatchOnce();
  void Apply(WatchEventType type, const ObjectPtr& object);
  void DeliverAdd(const ObjectPtr& o);
  void DeliverUpdate(const ObjectPtr& old_o, const ObjectPtr& new_o);
  void DeliverDelete(const ObjectPtr& o);
  // Moves handlers added after Start into `handlers_`, replaying the cache to them once synced.
  void RunPendingHandlers();
  void MaybeResync();
  // Waits up to `d`, or until Stop(); false when stopping.
  bool SleepFor(std::chrono::milliseconds d);

  ApiClient* client_;
  const InformerOptions options_;

  mutable std::shared_mutex cache_mu_;
  std::map<std::string, ObjectPtr> cache_;  // guarded by cache_mu_
  std::string rv_;                          // guarded by cache_mu_

  mutable std::mutex mu_;  // guards the members up to `thread_`
  mutable std::condition_variable cv_;
  std::deque<Item> items_;
  // Before Start(): written under mu_; afterwards read and grown by the informer thread only
  // (AddHandler then goes through `new_handlers_`).
  std::vector<EventHandler> handlers_;
  std::vector<EventHandler> new_handlers_;  // added after Start, not yet given the cache
  bool started_ = false;
  bool stopping_ = false;
  bool synced_ = false;
  InformerStats stats_;
  uint64_t watch_id_ = 0;  // the current watch; events of older ones are dropped
  std::thread thread_;
  std::chrono::steady_clock::time_point next_resync_;  // informer thread only
};

}  // namespace capstan::client
