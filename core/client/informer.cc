// Informer (informer.h): the list/watch loop, event application and handler delivery. The
// paginated LIST and the relist diff are in informer_list.cc.
#include "core/client/informer.h"

#include "core/client/api_status.h"
#include "core/common/log.h"

namespace capstan::client {

std::string ObjectKey(const nlohmann::json& object) {
  const nlohmann::json* meta = nullptr;
  if (auto m = object.find("metadata"); m != object.end() && m->is_object()) meta = &*m;
  if (meta == nullptr) return "";
  std::string name;
  std::string ns;
  if (auto n = meta->find("name"); n != meta->end() && n->is_string()) name = *n;
  if (auto n = meta->find("namespace"); n != meta->end() && n->is_string()) ns = *n;
  return ns.empty() ? name : ns + "/" + name;
}

namespace {

std::string ResourceVersionOf(const nlohmann::json& object) {
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return "";
  auto rv = m->find("resourceVersion");
  return rv != m->end() && rv->is_string() ? rv->get<std::string>() : "";
}

}  // namespace

Informer::Informer(ApiClient* client, InformerOptions options)
    : client_(client), options_(std::move(options)) {}

Informer::~Informer() { Stop(); }

void Informer::AddHandler(EventHandler handler) {
  std::lock_guard l(mu_);
  if (started_) {
    new_handlers_.push_back(std::move(handler));
    cv_.notify_all();
  } else {
    handlers_.push_back(std::move(handler));
  }
}

void Informer::Start() {
  std::lock_guard l(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void Informer::Stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

bool Informer::HasSynced() const {
  std::lock_guard l(mu_);
  return synced_;
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout) const {
  std::unique_lock l(mu_);
  cv_.wait_for(l, timeout, [&] { return synced_ || stopping_; });
  return synced_;
}

ObjectPtr Informer::Get(const std::string& key) const {
  std::shared_lock l(cache_mu_);
  auto it = cache_.find(key);
  return it == cache_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Informer::List() const {
  std::shared_lock l(cache_mu_);
  std::vector<ObjectPtr> out;
  out.reserve(cache_.size());
  for (const auto& [k, v] : cache_) out.push_back(v);
  return out;
}

std::vector<ObjectPtr> Informer::List(const std::string& ns) const {
  std::string prefix = ns + "/";
  std::shared_lock l(cache_mu_);
  std::vector<ObjectPtr> out;
  for (auto it = cache_.lower_bound(prefix); it != cache_.end() && it->first.starts_with(prefix);
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

size_t Informer::Size() const {
  std::shared_lock l(cache_mu_);
  return cache_.size();
}

std::string Informer::ResourceVersion() const {
  std::shared_lock l(cache_mu_);
  return rv_;
}

InformerStats Informer::Stats() const {
  std::lock_guard l(mu_);
  return stats_;
}

bool Informer::SleepFor(std::chrono::milliseconds d) {
  std::unique_lock l(mu_);
  return !cv_.wait_for(l, d, [&] { return stopping_; });
}

void Informer::Run() {
  std::chrono::milliseconds backoff = options_.retry_initial;
  auto grow = [&] { backoff = std::min(options_.retry_max, backoff * 2); };
  next_resync_ = std::chrono::steady_clock::now() + options_.resync_period;
  bool need_list = true;
  while (true) {
    {
      std::lock_guard l(mu_);
      if (stopping_) return;
    }
    if (need_list) {
      Status s = ListAndReplace();
      if (!s.ok()) {
        log::Warn("informer", "list failed", {{"path", options_.path}, {"error", s.ToString()}});
        if (!SleepFor(backoff)) return;
        grow();
        continue;
      }
      backoff = options_.retry_initial;
    }
    RunPendingHandlers();
    switch (WatchOnce()) {
      case Next::kStop:
        return;
      case Next::kRewatch:
        need_list = false;
        break;
      case Next::kRelist:
        need_list = true;
        break;
      case Next::kRelistAfterBackoff:
        need_list = true;
        if (!SleepFor(backoff)) return;
        grow();
        break;
    }
  }
}

std::string Informer::WatchPath() const {
  std::string path = options_.path + "?watch=1&allowWatchBookmarks=true";
  path += "&resourceVersion=" + ResourceVersion();
  if (options_.watch_timeout_seconds > 0) {
    path += "&timeoutSeconds=" + std::to_string(options_.watch_timeout_seconds);
  }
  return path + SelectorQuery();
}

Informer::Next Informer::WatchOnce() {
  uint64_t id;
  {
    std::lock_guard l(mu_);
    id = ++watch_id_;
    ++stats_.watches;
  }
  auto push = [this](Item item) {
    std::lock_guard l(mu_);
    items_.push_back(std::move(item));
    cv_.notify_all();
  };
  std::unique_ptr<WatchHandle> watch = client_->Watch(
      WatchPath(),
      [push, id](WatchEventType type, std::shared_ptr<const nlohmann::json> object) {
        Item item;
        item.watch_id = id;
        item.type = type;
        item.object = std::move(object);
        push(std::move(item));
      },
      [push, id](const Status& status) {
        Item item;
        item.watch_id = id;
        item.end = true;
        item.end_status = status;
        push(std::move(item));
      });
  std::deque<Item> batch;
  while (true) {
    {
      std::unique_lock l(mu_);
      auto ready = [&] { return stopping_ || !items_.empty() || !new_handlers_.empty(); };
      if (options_.resync_period.count() > 0) {
        cv_.wait_until(l, next_resync_, ready);
      } else {
        cv_.wait(l, ready);
      }
      if (stopping_) break;
      batch.swap(items_);
    }
    for (Item& item : batch) {
      if (item.watch_id != id) continue;
      if (item.end) {
        if (item.end_status.ok()) return Next::kRewatch;
        std::lock_guard l(mu_);
        if (item.end_status.code() == StatusCode::kGone) {
          ++stats_.gone;
          return Next::kRelist;
        }
        ++stats_.watch_errors;
        log::Warn("informer", "watch failed",
                  {{"path", options_.path}, {"error", item.end_status.ToString()}});
        return Next::kRelistAfterBackoff;
      }
      if (item.type == WatchEventType::kError) {
        Status s = item.object ? StatusFromStatusObject(*item.object) : InternalError("no status");
        watch->Stop();
        std::lock_guard l(mu_);
        if (s.code() == StatusCode::kGone) {
          ++stats_.gone;
          return Next::kRelist;
        }
        ++stats_.watch_errors;
        log::Warn("informer", "watch error event",
                  {{"path", options_.path}, {"error", s.ToString()}});
        return Next::kRelistAfterBackoff;
      }
      if (item.type == WatchEventType::kBookmark) {
        std::string rv = item.object ? ResourceVersionOf(*item.object) : "";
        if (!rv.empty()) {
          std::unique_lock l(cache_mu_);
          rv_ = rv;
        }
        continue;
      }
      if (item.object) Apply(item.type, item.object);
    }
    batch.clear();
    RunPendingHandlers();
    MaybeResync();
  }
  watch->Stop();
  return Next::kStop;
}

void Informer::Apply(WatchEventType type, const ObjectPtr& object) {
  std::string key = ObjectKey(*object);
  std::string rv = ResourceVersionOf(*object);
  ObjectPtr old;
  {
    std::unique_lock l(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) old = it->second;
    if (type == WatchEventType::kDeleted) {
      if (it != cache_.end()) cache_.erase(it);
    } else {
      cache_[key] = object;
    }
    if (!rv.empty()) rv_ = rv;
  }
  if (type == WatchEventType::kDeleted) {
    // Objects never seen (e.g. deleted before the list) produce no delete.
    if (old != nullptr) DeliverDelete(object);
  } else if (old != nullptr) {
    DeliverUpdate(old, object);
  } else {
    DeliverAdd(object);
  }
}

void Informer::DeliverAdd(const ObjectPtr& o) {
  for (const EventHandler& h : handlers_) {
    if (h.on_add) h.on_add(o);
  }
}

void Informer::DeliverUpdate(const ObjectPtr& old_o, const ObjectPtr& new_o) {
  for (const EventHandler& h : handlers_) {
    if (h.on_update) h.on_update(old_o, new_o);
  }
}

void Informer::DeliverDelete(const ObjectPtr& o) {
  for (const EventHandler& h : handlers_) {
    if (h.on_delete) h.on_delete(o);
  }
}

void Informer::RunPendingHandlers() {
  std::vector<EventHandler> fresh;
  bool synced;
  {
    std::lock_guard l(mu_);
    fresh.swap(new_handlers_);
    synced = synced_;
  }
  if (fresh.empty()) return;
  if (synced) {
    for (const ObjectPtr& o : List()) {
      for (const EventHandler& h : fresh) {
        if (h.on_add) h.on_add(o);
      }
    }
  }
  for (EventHandler& h : fresh) handlers_.push_back(std::move(h));
}

void Informer::MaybeResync() {
  if (options_.resync_period.count() <= 0) return;
  auto now = std::chrono::steady_clock::now();
  if (now < next_resync_) return;
  next_resync_ = now + options_.resync_period;
  for (const ObjectPtr& o : List()) DeliverUpdate(o, o);
}

}  // namespace capstan::client
