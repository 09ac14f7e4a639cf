// `InformerSet` (see informer_set.h).
#include "core/controllers/informer_set.h"

#include <vector>

#include "core/selector/label_selector.h"

namespace capstan::controllers {

Result<std::string> ResourcePath(std::string_view resource) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t slash = resource.find('/', start);
    parts.push_back(
        resource.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  bool ok = parts.size() == 3 && !parts[1].empty() && !parts[2].empty();
  for (std::string_view p : parts) {
    for (char c : p) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-');
    }
  }
  if (!ok) {
    return InvalidError("resource \"" + std::string(resource) +
                        "\" is not <group>/<version>/<plural> (\"/v1/pods\" for the core group)");
  }
  if (parts[0].empty()) return "/api/" + std::string(parts[1]) + "/" + std::string(parts[2]);
  return "/apis/" + std::string(resource);
}

InformerSet::~InformerSet() { StopAll(); }

Result<client::Informer*> InformerSet::Ensure(const std::string& resource) {
  Result<std::string> path = ResourcePath(resource);
  if (!path.ok()) return path.status();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = informers_.find(resource);
  if (it != informers_.end()) return it->second.informer.get();
  client::InformerOptions options;
  options.path = *path;
  Watched w{std::make_unique<ObjectTextCache>(),
            std::make_unique<client::Informer>(client_, std::move(options))};
  // The first handler, so the texts are ready when the controllers' handlers map the event.
  ObjectTextCache* texts = w.texts.get();
  client::EventHandler h;
  h.on_add = [texts](const client::ObjectPtr& o) { texts->Put(client::ObjectKey(*o), *o); };
  h.on_update = [texts](const client::ObjectPtr&, const client::ObjectPtr& o) {
    texts->Put(client::ObjectKey(*o), *o);
  };
  h.on_delete = [texts](const client::ObjectPtr& o) { texts->Forget(client::ObjectKey(*o)); };
  w.informer->AddHandler(std::move(h));
  client::Informer* raw = w.informer.get();
  informers_.emplace(resource, std::move(w));
  return raw;
}

const InformerSet::Watched* InformerSet::FindWatched(std::string_view resource) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = informers_.find(resource);
  return it == informers_.end() ? nullptr : &it->second;
}

client::Informer* InformerSet::Find(std::string_view resource) const {
  const Watched* w = FindWatched(resource);
  return w == nullptr ? nullptr : w->informer.get();
}

const ObjectTextCache* InformerSet::Texts(std::string_view resource) const {
  const Watched* w = FindWatched(resource);
  return w == nullptr ? nullptr : w->texts.get();
}

void InformerSet::StartAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [resource, w] : informers_) w.informer->Start();
}

bool InformerSet::WaitForSync(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<client::Informer*> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [resource, w] : informers_) all.push_back(w.informer.get());
  }
  for (client::Informer* informer : all) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!informer->WaitForSync(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

void InformerSet::StopAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [resource, w] : informers_) w.informer->Stop();
}

Result<std::string> InformerSet::GetJson(std::string_view resource, const std::string& key) const {
  const Watched* w = FindWatched(resource);
  if (w == nullptr || !w->informer->HasSynced()) {
    return UnavailableError(std::string(resource) + " is not cached");
  }
  client::ObjectPtr object = w->informer->Get(key);
  if (object == nullptr) return NotFoundError(std::string(resource) + " " + key + " not found");
  return *w->texts->Get(key, *object);
}

Result<std::string> InformerSet::ListJson(std::string_view resource, const std::string& ns,
                                          std::string_view label_selector) const {
  const Watched* w = FindWatched(resource);
  if (w == nullptr || !w->informer->HasSynced()) {
    return UnavailableError(std::string(resource) + " is not cached");
  }
  Result<selector::LabelSelector> selector = selector::LabelSelector::Parse(label_selector);
  if (!selector.ok()) return selector.status();
  std::vector<client::ObjectPtr> objects = ns.empty() ? w->informer->List() : w->informer->List(ns);
  std::vector<ObjectTextCache::Text> texts;
  texts.reserve(objects.size());
  size_t size = 2;
  for (const client::ObjectPtr& o : objects) {
    if (!selector->Empty() && !selector->MatchesObject(*o)) continue;
    texts.push_back(w->texts->Get(client::ObjectKey(*o), *o));
    size += texts.back()->size() + 1;
  }
  std::string out;
  out.reserve(size);
  out += '[';
  for (const ObjectTextCache::Text& t : texts) {
    if (out.size() > 1) out += ',';
    out += *t;
  }
  out += ']';
  return out;
}

}  // namespace capstan::controllers
