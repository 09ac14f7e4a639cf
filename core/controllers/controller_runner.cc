// `ControllerRunner` (see controller_runner.h).
#include "core/controllers/controller_runner.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "core/common/log.h"
#include "core/plugin/call.h"

namespace capstan::controllers {
namespace {

constexpr char kLog[] = "controllers";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string StrField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The controller ownerReference of `object`, or NULL.
const nlohmann::json* ControllerRefOf(const nlohmann::json& object) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return nullptr;
  auto refs = meta->find("ownerReferences");
  if (refs == meta->end() || !refs->is_array()) return nullptr;
  for (const nlohmann::json& ref : *refs) {
    auto c = ref.find("controller");
    if (c != ref.end() && c->is_boolean() && c->get<bool>()) return &ref;
  }
  return nullptr;
}

capstan_host_str Str(std::string_view s) { return {s.data(), s.size()}; }

// The JSON text of an object the informer thread is delivering: from the informer's text cache,
// which its first handler filled for this version. Every runner whose plugin maps the same event
// asks for the same object: the last two (an update's old and new) are kept per thread, holding
// their objects so that an address is never reused while remembered; this also covers a deleted
// object, which the cache has dropped and serializes anew on each call.
const std::string& TextOf(const client::ObjectPtr& object, const ObjectTextCache* texts) {
  struct Entry {
    client::ObjectPtr object;
    ObjectTextCache::Text text;
  };
  thread_local Entry recent[2];
  thread_local size_t next = 0;
  for (Entry& e : recent) {
    if (e.object == object) return *e.text;
  }
  Entry& e = recent[next];
  next = (next + 1) % 2;
  e.object = object;
  e.text = texts != nullptr
               ? texts->Get(client::ObjectKey(*object), *object)
               : std::make_shared<const std::string>(ObjectTextCache::Serialize(*object));
  return *e.text;
}

}  // namespace

Result<WatchSpec> WatchSpec::Parse(const nlohmann::json& d) {
  if (!d.is_object()) return InvalidError("watch description is not a JSON object");
  WatchSpec spec;
  spec.primary = StrField(d, "primary");
  if (spec.primary.empty()) return InvalidError("primary: required");
  CAPSTAN_RETURN_IF_ERROR(ResourcePath(spec.primary).status().WithContext("primary"));
  if (auto w = d.find("watches"); w != d.end() && !w->is_null()) {
    if (!w->is_array()) return InvalidError("watches: must be an array");
    for (size_t i = 0; i < w->size(); ++i) {
      std::string where = "watches[" + std::to_string(i) + "]";
      const nlohmann::json& item = (*w)[i];
      if (!item.is_object()) return InvalidError(where + ": must be an object");
      Watch watch;
      watch.resource = StrField(item, "resource");
      CAPSTAN_RETURN_IF_ERROR(ResourcePath(watch.resource).status().WithContext(where));
      std::string map = StrField(item, "map");
      if (map == "owner" || map.empty()) {
        watch.map = Map::kOwner;
      } else if (map == "plugin") {
        watch.map = Map::kPlugin;
      } else {
        return InvalidError(where + ".map: must be \"owner\" or \"plugin\"");
      }
      spec.watches.push_back(std::move(watch));
    }
  }
  if (auto w = d.find("workers"); w != d.end() && w->is_number_integer()) {
    spec.workers = static_cast<int>(std::clamp<int64_t>(w->get<int64_t>(), 1, 1024));
  }
  if (auto r = d.find("resyncSeconds"); r != d.end() && r->is_number_integer()) {
    spec.resync_seconds = std::max<int64_t>(0, r->get<int64_t>());
  }
  return spec;
}

bool OwnerRefMatchesResource(const nlohmann::json& ref, std::string_view resource) {
  size_t first = resource.find('/');
  size_t last = resource.rfind('/');
  if (first == std::string_view::npos || first == last) return false;
  std::string_view group = resource.substr(0, first);
  std::string_view plural = resource.substr(last + 1);
  std::string api_version = StrField(ref, "apiVersion");
  size_t slash = api_version.find('/');
  std::string ref_group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  if (ref_group != group) return false;
  std::string kind = Lower(StrField(ref, "kind"));
  if (kind.empty()) return false;
  if (plural == kind + "s" || plural == kind + "es") return true;
  return kind.back() == 'y' && plural == kind.substr(0, kind.size() - 1) + "ies";
}

ControllerRunner::ControllerRunner(const plugin::ChainEntry& entry, WatchSpec spec,
                                   plugin::MetricsRegistry& m)
    : entry_(entry), name_(entry.config.name), spec_(std::move(spec)), metrics_(m) {
  auto define = [&](const char* n, const char* help, plugin::MetricType t) {
    Result<plugin::MetricSeries*> s = metrics_.Define(n, help, t, name_);
    return s.ok() ? *s : nullptr;
  };
  depth_ = define("capstan_controller_queue_depth", "Keys waiting in the controller's work queue",
                  plugin::MetricType::kGauge);
  total_ = define("capstan_controller_reconciles_total", "Reconcile calls",
                  plugin::MetricType::kCounter);
  failed_ = define("capstan_controller_reconcile_errors_total",
                   "Reconcile calls that returned an error or asked to retry",
                   plugin::MetricType::kCounter);
  latency_ = define("capstan_controller_reconcile_duration_seconds",
                    "Time spent in one reconcile call", plugin::MetricType::kHistogram);
}

ControllerRunner::~ControllerRunner() {
  Stop();
  for (const char* n : {"capstan_controller_queue_depth", "capstan_controller_reconciles_total",
                        "capstan_controller_reconcile_errors_total",
                        "capstan_controller_reconcile_duration_seconds"}) {
    metrics_.Remove(n, name_);
  }
}

Result<std::unique_ptr<ControllerRunner>> ControllerRunner::Create(const plugin::ChainEntry& entry,
                                                                   ServiceBinding* binding,
                                                                   InformerSet& informers,
                                                                   plugin::MetricsRegistry& metrics,
                                                                   const RunnerOptions& options) {
  plugin::PluginInstance* instance = entry.instance.get();
  const capstan_controller_v1* vt = instance != nullptr ? instance->controller() : nullptr;
  if (vt == nullptr || vt->on_describe == nullptr || vt->on_reconcile == nullptr) {
    return InvalidError("controller '" + entry.config.name + "' lacks on_describe/on_reconcile");
  }
  capstan_plugin_buf out{nullptr, 0};
  plugin::CallOutcome described = instance->Invoke(
      "on_describe", entry.CallOptionsWithin(0),
      [&](capstan_plugin_state* st, capstan_call* c) { return vt->on_describe(st, c, &out); });
  if (!described.ok()) return described.ToStatus();
  Result<nlohmann::json> doc = instance->ParseJsonOutput(out, "on_describe");
  if (!doc.ok()) return doc.status();
  Result<WatchSpec> spec = WatchSpec::Parse(*doc);
  if (!spec.ok()) return spec.status().WithContext(instance->Describe() + " on_describe");
  for (const WatchSpec::Watch& w : spec->watches) {
    if (w.map == WatchSpec::Map::kPlugin && vt->on_map_event == nullptr) {
      return InvalidError(instance->Describe() + " watches " + w.resource +
                          " with \"map\": \"plugin\" but has no on_map_event");
    }
  }

  std::unique_ptr<ControllerRunner> runner(new ControllerRunner(entry, std::move(*spec), metrics));
  int workers = options.workers_override > 0 ? options.workers_override : runner->spec_.workers;
  runner->workers_ = std::clamp(workers, 1, std::max(1, options.max_workers));

  binding->Allow(runner->spec_.primary);
  Result<client::Informer*> primary = informers.Ensure(runner->spec_.primary);
  if (!primary.ok()) return primary.status();
  runner->primary_ = *primary;
  runner->AddHandlers(*primary, informers.Texts(runner->spec_.primary), runner->spec_.primary, true,
                      WatchSpec::Map::kOwner);
  for (const WatchSpec::Watch& w : runner->spec_.watches) {
    binding->Allow(w.resource);
    Result<client::Informer*> informer = informers.Ensure(w.resource);
    if (!informer.ok()) return informer.status();
    runner->AddHandlers(*informer, informers.Texts(w.resource), w.resource, false, w.map);
  }
  return runner;
}

void ControllerRunner::AddHandlers(client::Informer* informer, const ObjectTextCache* texts,
                                   const std::string& resource, bool primary, WatchSpec::Map map) {
  client::EventHandler h;
  if (primary) {
    auto own = [this](const client::ObjectPtr& o) { Enqueue(client::ObjectKey(*o)); };
    h.on_add = own;
    h.on_update = [own](const client::ObjectPtr&, const client::ObjectPtr& o) { own(o); };
    h.on_delete = own;
  } else if (map == WatchSpec::Map::kOwner) {
    h.on_add = [this](const client::ObjectPtr& o) { EnqueueOwner(*o); };
    h.on_update = [this](const client::ObjectPtr& old_o, const client::ObjectPtr& o) {
      if (old_o != o) EnqueueOwner(*old_o);  // the owner may have changed
      EnqueueOwner(*o);
    };
    h.on_delete = [this](const client::ObjectPtr& o) { EnqueueOwner(*o); };
  } else {
    h.on_add = [this, resource, texts](const client::ObjectPtr& o) {
      MapThroughPlugin(resource, CAPSTAN_EVENT_ADDED, o, texts);
    };
    h.on_update = [this, resource, texts](const client::ObjectPtr& old_o,
                                          const client::ObjectPtr& o) {
      // A changed controller reference: the previous owner must hear of it too.
      const nlohmann::json* before = ControllerRefOf(*old_o);
      const nlohmann::json* after = ControllerRefOf(*o);
      if (before != nullptr &&
          (after == nullptr || StrField(*before, "uid") != StrField(*after, "uid"))) {
        MapThroughPlugin(resource, CAPSTAN_EVENT_MODIFIED, old_o, texts);
      }
      MapThroughPlugin(resource, CAPSTAN_EVENT_MODIFIED, o, texts);
    };
    h.on_delete = [this, resource, texts](const client::ObjectPtr& o) {
      MapThroughPlugin(resource, CAPSTAN_EVENT_DELETED, o, texts);
    };
  }
  informer->AddHandler(std::move(h));
}

void ControllerRunner::Enqueue(const std::string& key) {
  if (key.empty()) return;
  queue_.Add(key);
  if (depth_ != nullptr) depth_->Record(static_cast<double>(queue_.Len()));
}

void ControllerRunner::EnqueueOwner(const nlohmann::json& object) {
  const nlohmann::json* ref = ControllerRefOf(object);
  if (ref == nullptr || !OwnerRefMatchesResource(*ref, spec_.primary)) return;
  std::string ns = StrField(object.value("metadata", nlohmann::json::object()), "namespace");
  std::string name = StrField(*ref, "name");
  Enqueue(ns.empty() ? name : ns + "/" + name);
}

void ControllerRunner::MapThroughPlugin(const std::string& resource, uint32_t event,
                                        const client::ObjectPtr& object,
                                        const ObjectTextCache* texts) {
  plugin::PluginInstance* instance = entry_.instance.get();
  const capstan_controller_v1* vt = instance->controller();
  const std::string& json = TextOf(object, texts);
  capstan_plugin_buf out{nullptr, 0};
  plugin::CallOutcome o = instance->Invoke(
      "on_map_event", entry_.CallOptionsWithin(0), [&](capstan_plugin_state* st, capstan_call* c) {
        capstan_host_buf buf{reinterpret_cast<const uint8_t*>(json.data()), json.size()};
        return vt->on_map_event(st, c, Str(resource), event, buf, &out);
      });
  if (!o.ok()) {
    if (o.rc != CAPSTAN_RC_SKIP) log::Warn(kLog, o.ToStatus().message(), {{"controller", name_}});
    return;
  }
  Result<nlohmann::json> keys = instance->ParseJsonOutput(out, "on_map_event");
  if (!keys.ok() || !keys->is_array()) {
    log::Warn(kLog, "on_map_event did not return a JSON array of keys", {{"controller", name_}});
    return;
  }
  for (const nlohmann::json& k : *keys) {
    if (k.is_string()) Enqueue(k.get<std::string>());
  }
}

void ControllerRunner::Start() {
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { Worker(); });
  if (spec_.resync_seconds > 0) threads_.emplace_back([this] { ResyncLoop(); });
}

void ControllerRunner::SetActive(bool active) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_ = active;
  }
  cv_.notify_all();
}

void ControllerRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  queue_.ShutDown();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void ControllerRunner::Worker() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return active_ || stopping_; });
      if (stopping_) return;
    }
    std::optional<std::string> key = queue_.Get();
    if (!key) return;
    if (depth_ != nullptr) depth_->Record(static_cast<double>(queue_.Len()));
    bool run;
    {
      std::lock_guard<std::mutex> lock(mu_);
      run = active_ && !stopping_;
    }
    if (run) {
      ReconcileOne(*key);
    } else {
      queue_.AddAfter(*key, std::chrono::milliseconds(100));  // lost leadership meanwhile
    }
    queue_.Done(*key);
  }
}

void ControllerRunner::ReconcileOne(const std::string& key) {
  plugin::PluginInstance* instance = entry_.instance.get();
  const capstan_controller_v1* vt = instance->controller();
  uint64_t requeue_after_ms = 0;
  auto start = std::chrono::steady_clock::now();
  plugin::CallOutcome o = instance->Invoke(
      "on_reconcile", entry_.CallOptionsWithin(0), [&](capstan_plugin_state* st, capstan_call* c) {
        return vt->on_reconcile(st, c, Str(key), &requeue_after_ms);
      });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  reconciles_.fetch_add(1);
  if (total_ != nullptr) total_->Record(1);
  if (latency_ != nullptr) latency_->Record(seconds);
  switch (o.rc) {
    case CAPSTAN_RC_OK:
      queue_.Forget(key);
      if (requeue_after_ms > 0) queue_.AddAfter(key, std::chrono::milliseconds(requeue_after_ms));
      return;
    case CAPSTAN_RC_RETRY_LATER:
    case CAPSTAN_RC_UNAVAILABLE:
    case CAPSTAN_RC_DEADLINE_EXCEEDED:
    case CAPSTAN_RC_ERROR:
      errors_.fetch_add(1);
      if (failed_ != nullptr) failed_->Record(1);
      if (o.rc == CAPSTAN_RC_ERROR) {
        log::Warn(kLog, o.ToStatus().message(), {{"controller", name_}, {"key", key}});
      }
      queue_.AddRateLimited(key);
      return;
    default:
      // INVALID and the like: retrying the same key would fail the same way.
      errors_.fetch_add(1);
      if (failed_ != nullptr) failed_->Record(1);
      log::Warn(kLog, o.ToStatus().message(), {{"controller", name_}, {"key", key}});
      queue_.Forget(key);
  }
}

void ControllerRunner::ResyncLoop() {
  auto period = std::chrono::seconds(spec_.resync_seconds);
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, period, [this] { return stopping_; })) {
    lock.unlock();
    for (const client::ObjectPtr& o : primary_->List()) Enqueue(client::ObjectKey(*o));
    lock.lock();
  }
}

}  // namespace capstan::controllers
