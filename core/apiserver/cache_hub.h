// `CacheHub`: follows the whole store with ONE watch and feeds the per-resource `WatchCache`s;
// knows the revision every cache has reached, which makes consistent reads from cache possible
// (wait until the hub has seen the store's current revision, then read the cache).
// Keys are laid out as /registry/<group|core>/<resource>/[<namespace>/]<name> (StoreKey()).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/apiserver/watch_cache.h"
#include "core/common/status.h"
#include "core/store/store.h"

namespace capstan::apiserver {

inline constexpr std::string_view kRegistryRoot = "/registry/";

// "/registry/apps/deployments/" ("core" stands for the empty group).
std::string ResourcePrefix(std::string_view group, std::string_view resource);
// "/registry/core/pods/default/web-0", or ".../nodes/n1" when `ns` is empty.
std::string StoreKey(std::string_view group, std::string_view resource, std::string_view ns,
                     std::string_view name);

// Thread-safe. `mu_` serializes ingestion with cache registration.
class CacheHub {
 public:
  explicit CacheHub(store::Store* store);
  ~CacheHub();
  CacheHub(const CacheHub&) = delete;
  CacheHub& operator=(const CacheHub&) = delete;

  // Starts following the store from its current revision.
  Status Start();
  // Adds a cache for one resource prefix (see ResourcePrefix), primed from the store at the
  // revision the hub has reached. Returns the existing cache when the prefix is known.
  Result<WatchCache*> AddResource(WatchCache::Options options);
  // The cache for `prefix`, or null.
  WatchCache* Find(std::string_view prefix) const;

  int64_t Revision() const;
  // Blocks until the hub has ingested `revision` (kTimeout after `timeout_ms`).
  Status WaitForRevision(int64_t revision, int64_t timeout_ms) const;

 private:
  void OnEvents(std::span<const store::Event> events);

  store::Store* store_;
  std::unique_ptr<store::Watch> watch_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  int64_t revision_ = 0;                                                    // guarded by mu_
  std::map<std::string, std::unique_ptr<WatchCache>, std::less<>> caches_;  // guarded by mu_
};

}  // namespace capstan::apiserver
