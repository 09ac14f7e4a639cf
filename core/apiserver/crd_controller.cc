// CrdController (crd_controller.h): the watch, the work queue, reconciliation, status and the
// cleanup finalizer. Registration, conflicts and OpenAPI are in crd_controller_serve.cc.
#include "core/apiserver/crd_controller.h"

#include <algorithm>

#include "core/apiserver/crd_openapi.h"
#include "core/common/log.h"
#include "core/registry/json_util.h"

namespace capstan::apiserver {
namespace {

using Json = nlohmann::json;

bool HasFinalizer(const Json& obj, std::string_view finalizer) {
  const Json* meta = registry::ObjectIn(obj, "metadata");
  const Json* list = meta != nullptr ? registry::ArrayAt(*meta, "finalizers") : nullptr;
  if (list == nullptr) return false;
  return std::any_of(list->begin(), list->end(), [&](const Json& f) {
    return f.is_string() && f.get_ref<const std::string&>() == finalizer;
  });
}

bool BeingDeleted(const Json& obj) {
  const Json* meta = registry::ObjectIn(obj, "metadata");
  return meta != nullptr && registry::Has(*meta, "deletionTimestamp");
}

std::string ErrorText(const ApiError& e) { return e.status.ToString(); }

}  // namespace

CrdController::CrdController(ApiServer* server, RestStorage* crds, CrdControllerOptions options)
    : server_(server), crds_(crds), options_(std::move(options)) {}

Result<std::unique_ptr<CrdController>> CrdController::Start(ApiServer* server,
                                                            const CrdControllerOptions& options) {
  RestStorage* crds = server->StorageFor("apiextensions.k8s.io", "customresourcedefinitions");
  if (crds == nullptr) return InternalError("customresourcedefinitions are not served");
  std::unique_ptr<CrdController> c(new CrdController(server, crds, options));
  // The shared OpenAPI components come from the upstream documents the server serves.
  auto load = [server](const char* path) {
    Result<api::ServedDocument> doc = server->openapi().ServeV3(path, "");
    if (!doc.ok() || doc->body == nullptr) return Json();
    return Json::parse(*doc->body, nullptr, false);
  };
  c->shared_schemas_ =
      SharedCrdSchemas(load("apis/apiextensions.k8s.io/v1"), load("apis/autoscaling/v1"));
  c->worker_ = std::thread([raw = c.get()] { raw->Run(); });
  CrdController* raw = c.get();
  Result<std::unique_ptr<CacheWatcher>> watcher =
      crds->cache()->Watch(0, nullptr, [raw](const CacheEvent& e) {
        raw->Enqueue(e.object->name);
        return true;
      });
  if (!watcher.ok()) {
    c->Stop();
    return watcher.status().WithContext("watching customresourcedefinitions");
  }
  c->watcher_ = std::move(*watcher);
  // The watch delivered every existing CRD before returning: serve them before the API is used,
  // so custom resources answer right after a restart. A slow store only delays, never fails.
  std::unique_lock<std::mutex> lock(c->mu_);
  c->cv_.wait_for(lock, std::chrono::milliseconds(options.initial_sync_timeout_ms),
                  [&c] { return c->queue_.empty() && !c->busy_; });
  lock.unlock();
  return c;
}

CrdController::~CrdController() { Stop(); }

void CrdController::Stop() {
  watcher_.reset();  // no callback runs after this returns
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void CrdController::Enqueue(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!queued_.insert(name).second) return;
    queue_.push_back(name);
  }
  cv_.notify_all();  // the worker, and Start waiting for the initial sync
}

void CrdController::EnqueueAfter(const std::string& name, int64_t delay_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    delayed_.emplace(std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms), name);
  }
  cv_.notify_all();
}

void CrdController::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    auto now = std::chrono::steady_clock::now();
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      std::string name = delayed_.begin()->second;
      delayed_.erase(delayed_.begin());
      if (queued_.insert(name).second) queue_.push_back(std::move(name));
    }
    if (stopping_) return;
    if (queue_.empty()) {
      if (delayed_.empty()) {
        cv_.wait(lock);
      } else {
        cv_.wait_until(lock, delayed_.begin()->first);
      }
      continue;
    }
    std::string name = std::move(queue_.front());
    queue_.pop_front();
    queued_.erase(name);
    busy_ = true;
    lock.unlock();
    Reconcile(name);
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

void CrdController::Reconcile(const std::string& name) {
  ApiResult<CachedObjectPtr> got = crds_->Get("", name);
  if (auto* e = std::get_if<ApiError>(&got)) {
    if (e->status.code() == StatusCode::kNotFound) {
      Withdraw(name);
    } else {
      log::Warn("crd", "reading CRD failed", {{"name", name}, {"error", ErrorText(*e)}});
      EnqueueAfter(name, options_.retry_delay_ms);
    }
    return;
  }
  Json crd = Json::parse(std::get<CachedObjectPtr>(got)->json, nullptr, false);
  if (!crd.is_object()) return;
  bool done = BeingDeleted(crd) ? Finalize(name, crd) : ServeCrd(name, crd);
  if (!done) EnqueueAfter(name, options_.retry_delay_ms);
}

bool CrdController::ServeCrd(const std::string& name, const Json& crd) {
  if (!HasFinalizer(crd, kCustomResourceCleanupFinalizer) && !SetFinalizer(name, true)) {
    return false;
  }
  std::vector<StatusCause> causes;
  Result<CrdDefinition> def = ParseCrd(crd, &causes);
  Condition not_established{"Established", "False", "NotAccepted", "not all names are accepted"};
  if (!def.ok()) {
    Withdraw(name);
    return WriteStatus(
        name, {{"NamesAccepted", "False", "InvalidSpec", def.status().message()}, not_established},
        nullptr, "");
  }
  Condition names{"NamesAccepted", "True", "NoConflicts", "no conflicts found"};
  if (FindConflict(*def, &names)) {
    Withdraw(name);
    return WriteStatus(name, {names, not_established}, nullptr, "");
  }
  Status registered = Register(name, *def);
  if (!registered.ok()) {
    log::Warn("crd", "serving CRD failed", {{"name", name}, {"error", registered.ToString()}});
    Withdraw(name);
    return WriteStatus(
        name,
        {{"NamesAccepted", "False", "RegistrationFailed", registered.message()}, not_established},
        nullptr, "");
  }
  Condition established{"Established", "True", "InitialNamesAccepted",
                        "the initial names have been accepted"};
  return WriteStatus(name, {names, established}, &def->names, def->StorageVersion().name);
}

bool CrdController::Finalize(const std::string& name, const Json& crd) {
  if (!HasFinalizer(crd, kCustomResourceCleanupFinalizer)) return true;  // others' finalizers
  const Json* spec = registry::ObjectIn(crd, "spec");
  const Json* names = spec != nullptr ? registry::ObjectIn(*spec, "names") : nullptr;
  std::string group = spec != nullptr ? registry::Str(*spec, "group") : "";
  std::string plural = names != nullptr ? registry::Str(*names, "plural") : "";
  if (auto s = strategies_.find(group + "/" + plural); s != strategies_.end()) {
    s->second->SetTerminating(true);
  }
  if (!WriteStatus(name,
                   {{"Terminating", "True", "InstanceDeletionInProgress",
                     "CustomResource deletion is in progress"}},
                   nullptr, "")) {
    return false;
  }
  RestStorage* storage = plural.empty() ? nullptr : server_->StorageFor(group, plural);
  if (storage != nullptr && storage != crds_) {
    if (!storage->WaitForConsistentRead().ok()) return false;
    CacheListResult items = storage->cache()->List(storage->CollectionPrefix(""), "", 0, nullptr);
    for (const CachedObjectPtr& o : items.items) {
      ApiResult<WriteResult> r = storage->Delete({}, o->namespace_name, o->name, {});
      if (auto* e = std::get_if<ApiError>(&r); e && e->status.code() != StatusCode::kNotFound) {
        log::Warn("crd", "deleting custom resource failed",
                  {{"crd", name}, {"name", o->name}, {"error", ErrorText(*e)}});
      }
    }
    if (!storage->WaitForConsistentRead().ok()) return false;
    size_t left =
        storage->cache()->List(storage->CollectionPrefix(""), "", 1, nullptr).items.size();
    if (left != 0) {
      WriteStatus(name,
                  {{"Terminating", "True", "InstanceDeletionCheck",
                    "could not confirm zero CustomResources remaining"}},
                  nullptr, "");
      return false;  // objects with their own finalizers: check again later
    }
  }
  Withdraw(name);
  return SetFinalizer(name, false);
}

bool CrdController::SetFinalizer(const std::string& name, bool present) {
  ApiResult<WriteResult> r =
      crds_->Modify({}, "", name, "", [&](const Json* current) -> ApiResult<Json> {
        if (current == nullptr) return ApiError{NotFoundError(name), {}};
        Json obj = *current;
        Json& meta = obj["metadata"];
        Json& list = meta["finalizers"];
        if (!list.is_array()) list = Json::array();
        const Json finalizer = std::string(kCustomResourceCleanupFinalizer);
        auto it = std::find(list.begin(), list.end(), finalizer);
        if (present && it == list.end()) list.push_back(finalizer);
        if (!present && it != list.end()) list.erase(it);
        if (list.empty()) meta.erase("finalizers");
        return obj;
      });
  if (auto* e = std::get_if<ApiError>(&r); e && e->status.code() != StatusCode::kNotFound) {
    log::Warn("crd", "updating CRD finalizers failed", {{"name", name}, {"error", ErrorText(*e)}});
    return false;
  }
  return true;
}

bool CrdController::WriteStatus(const std::string& name, const std::vector<Condition>& conditions,
                                const CrdNames* accepted, const std::string& stored_version) {
  const std::string now = FormatRfc3339(options_.clock());
  ApiResult<WriteResult> r =
      crds_->Modify({}, "", name, "status", [&](const Json* current) -> ApiResult<Json> {
        if (current == nullptr) return ApiError{NotFoundError(name), {}};
        Json obj = *current;
        Json& status = obj["status"];
        if (!status.is_object()) status = Json::object();
        Json& list = status["conditions"];
        if (!list.is_array()) list = Json::array();
        for (const Condition& c : conditions) {
          Json next = {{"type", c.type},
                       {"status", c.status},
                       {"reason", c.reason},
                       {"message", c.message},
                       {"lastTransitionTime", now}};
          auto it = std::find_if(list.begin(), list.end(), [&](const Json& x) {
            return x.is_object() && x.value("type", "") == c.type;
          });
          if (it == list.end()) {
            list.push_back(std::move(next));
            continue;
          }
          // The transition time moves only when the status does (as upstream).
          if (it->value("status", "") == c.status && it->contains("lastTransitionTime")) {
            next["lastTransitionTime"] = (*it)["lastTransitionTime"];
          }
          *it = std::move(next);
        }
        if (accepted != nullptr) {
          status["acceptedNames"] = accepted->ToJson();
        } else if (!status.contains("acceptedNames")) {
          status["acceptedNames"] = {{"plural", ""}, {"kind", ""}};
        }
        Json& stored = status["storedVersions"];
        if (!stored.is_array()) stored = Json::array();
        if (!stored_version.empty() &&
            std::find(stored.begin(), stored.end(), Json(stored_version)) == stored.end()) {
          stored.push_back(stored_version);
        }
        return obj;
      });
  if (auto* e = std::get_if<ApiError>(&r); e && e->status.code() != StatusCode::kNotFound) {
    log::Warn("crd", "writing CRD status failed", {{"name", name}, {"error", ErrorText(*e)}});
    return false;
  }
  return true;
}

}  // namespace capstan::apiserver
