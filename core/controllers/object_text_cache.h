// `ObjectTextCache`: the compact JSON text of each object one informer holds, made once per
// object version and shared by everything that hands objects to plugins as text (event maps,
// cache get and list), which otherwise serialized every pod again for each read. Owned per
// resource by informer_set.h; used by controller_runner.cc and host_services.cc. Tests in
// tests/core/controllers/object_text_cache_test.cc.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/client/informer.h"

namespace capstan::controllers {

// An object version is its key and metadata.resourceVersion (the API server changes the latter
// on every write), so an entry made from any copy of that version serves all of them; objects
// without a resourceVersion are serialized on every call. Thread-safe (one mutex).
class ObjectTextCache {
 public:
  using Text = std::shared_ptr<const std::string>;

  // Remembers the text of `object`, the new version of `key` (serialized unless this version is
  // remembered already), and returns it. Called by the informer's handler, so that entries
  // come and go with the informer's cache.
  Text Put(const std::string& key, const nlohmann::json& object);
  // The text of `object`: the remembered one when its version matches, else serialized now
  // (and not remembered: the informer may have dropped `key` meanwhile).
  Text Get(const std::string& key, const nlohmann::json& object) const;
  // Drops `key` (its object was deleted).
  void Forget(const std::string& key);
  size_t size() const;

  // Compact JSON as the host services return it (invalid UTF-8 replaced, never throws).
  static std::string Serialize(const nlohmann::json& object);

 private:
  struct Entry {
    std::string resource_version;
    Text text;
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace capstan::controllers
