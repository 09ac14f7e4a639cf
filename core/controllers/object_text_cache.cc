// `ObjectTextCache` (see object_text_cache.h).
#include "core/controllers/object_text_cache.h"

#include <utility>

namespace capstan::controllers {
namespace {

const std::string* ResourceVersionOf(const nlohmann::json& object) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return nullptr;
  auto rv = meta->find("resourceVersion");
  if (rv == meta->end() || !rv->is_string() || rv->get_ref<const std::string&>().empty()) {
    return nullptr;
  }
  return &rv->get_ref<const std::string&>();
}

}  // namespace

std::string ObjectTextCache::Serialize(const nlohmann::json& object) {
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ObjectTextCache::Text ObjectTextCache::Put(const std::string& key, const nlohmann::json& object) {
  const std::string* rv = ResourceVersionOf(object);
  if (rv == nullptr) {
    Forget(key);
    return std::make_shared<const std::string>(Serialize(object));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.resource_version == *rv) return it->second.text;
  }
  Text text = std::make_shared<const std::string>(Serialize(object));  // outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  entries_[key] = Entry{*rv, text};
  return text;
}

ObjectTextCache::Text ObjectTextCache::Get(const std::string& key,
                                           const nlohmann::json& object) const {
  if (const std::string* rv = ResourceVersionOf(object)) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.resource_version == *rv) return it->second.text;
  }
  return std::make_shared<const std::string>(Serialize(object));
}

void ObjectTextCache::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(key);
}

size_t ObjectTextCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace capstan::controllers
