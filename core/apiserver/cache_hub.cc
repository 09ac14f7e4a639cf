// CacheHub (cache_hub.h): one store watch routed to per-resource caches.
#include "core/apiserver/cache_hub.h"

#include <chrono>
#include <vector>

namespace capstan::apiserver {
namespace {

// The resource prefix of a key: everything up to and including its fourth '/'.
std::string_view PrefixOf(std::string_view key) {
  size_t pos = 0;
  for (int slashes = 0; slashes < 4; ++slashes) {
    pos = key.find('/', slashes == 0 ? 0 : pos + 1);
    if (pos == std::string_view::npos) return {};
  }
  return key.substr(0, pos + 1);
}

}  // namespace

std::string ResourcePrefix(std::string_view group, std::string_view resource) {
  std::string p(kRegistryRoot);
  p += group.empty() ? std::string_view("core") : group;
  p += '/';
  p += resource;
  p += '/';
  return p;
}

std::string StoreKey(std::string_view group, std::string_view resource, std::string_view ns,
                     std::string_view name) {
  std::string k = ResourcePrefix(group, resource);
  if (!ns.empty()) {
    k += ns;
    k += '/';
  }
  k += name;
  return k;
}

CacheHub::CacheHub(store::Store* store) : store_(store) {}

CacheHub::~CacheHub() { watch_.reset(); }

Status CacheHub::Start() {
  int64_t rev = store_->CurrentRevision();
  {
    std::lock_guard lock(mu_);
    revision_ = rev;
  }
  Result<std::unique_ptr<store::Watch>> w = store_->WatchPrefix(
      kRegistryRoot, rev, [this](std::span<const store::Event> events) { OnEvents(events); });
  if (!w.ok()) return w.status().WithContext("starting the watch cache");
  watch_ = std::move(*w);
  return Status::Ok();
}

Result<WatchCache*> CacheHub::AddResource(WatchCache::Options options) {
  std::lock_guard lock(mu_);
  if (auto it = caches_.find(options.prefix); it != caches_.end()) return it->second.get();
  store::ListOptions list;
  list.prefix = options.prefix;
  list.revision = revision_;
  Result<store::ListResult> listed = store_->List(list);
  if (!listed.ok()) return listed.status().WithContext("priming cache " + options.prefix);
  auto cache = std::make_unique<WatchCache>(std::move(options));
  CAPSTAN_RETURN_IF_ERROR(cache->Prime(listed->items, revision_));
  WatchCache* raw = cache.get();
  caches_.emplace(raw->prefix(), std::move(cache));
  return raw;
}

WatchCache* CacheHub::Find(std::string_view prefix) const {
  std::lock_guard lock(mu_);
  auto it = caches_.find(prefix);
  return it == caches_.end() ? nullptr : it->second.get();
}

int64_t CacheHub::Revision() const {
  std::lock_guard lock(mu_);
  return revision_;
}

Status CacheHub::WaitForRevision(int64_t revision, int64_t timeout_ms) const {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                    [&] { return revision_ >= revision; })) {
    return TimeoutError("timed out waiting for resource version " + std::to_string(revision) +
                        " (cache is at " + std::to_string(revision_) + ")");
  }
  return Status::Ok();
}

void CacheHub::OnEvents(std::span<const store::Event> events) {
  if (events.empty()) return;
  std::lock_guard lock(mu_);
  // Events arrive in revision order; route runs of one resource together.
  size_t i = 0;
  while (i < events.size()) {
    std::string_view prefix = PrefixOf(events[i].kv.key);
    size_t j = i + 1;
    while (j < events.size() && PrefixOf(events[j].kv.key) == prefix) ++j;
    if (auto it = caches_.find(prefix); it != caches_.end()) {
      it->second->Ingest(events.subspan(i, j - i));
    }
    i = j;
  }
  revision_ = events.back().kv.mod_revision;
  for (auto& [prefix, cache] : caches_) cache->Advance(revision_);
  cv_.notify_all();
}

}  // namespace capstan::apiserver
