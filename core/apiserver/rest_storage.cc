// Generic REST semantics for one resource (rest_storage.h): bookkeeping, CAS writes, graceful
// deletion and finalizers.
#include "core/apiserver/rest_storage.h"

#include <algorithm>

#include "core/apiserver/cache_hub.h"
#include "core/apiserver/namespace_lifecycle.h"

namespace capstan::apiserver {
namespace {

constexpr int kMaxConflictRetries = 16;
constexpr int kMaxGenerateNameAttempts = 8;
constexpr int64_t kConsistentReadWaitMs = 3000;

ApiError Err(Status s) { return ApiError{std::move(s), {}}; }

#define CAPSTAN_RETURN_IF_ERROR_AS(expr)                     \
  do {                                                       \
    ::capstan::Status capstan_s_ = (expr);                   \
    if (!capstan_s_.ok()) return Err(std::move(capstan_s_)); \
  } while (0)

int64_t GracePeriodOf(const nlohmann::json& obj) {
  auto meta = obj.find("metadata");
  if (meta == obj.end()) return 0;
  auto g = meta->find("deletionGracePeriodSeconds");
  return g != meta->end() && g->is_number_integer() ? g->get<int64_t>() : 0;
}

// Stored bytes never carry resourceVersion: it is the store's mod_revision, spliced in by the
// cache decoder and by `Served`.
std::string StoredBytes(nlohmann::json obj) {
  if (auto meta = obj.find("metadata"); meta != obj.end() && meta->is_object()) {
    meta->erase("resourceVersion");
  }
  return obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json& Meta(nlohmann::json& obj) {
  nlohmann::json& m = obj["metadata"];
  if (!m.is_object()) m = nlohmann::json::object();
  return m;
}

bool HasFinalizers(const nlohmann::json& obj) {
  auto meta = obj.find("metadata");
  if (meta == obj.end()) return false;
  auto f = meta->find("finalizers");
  return f != meta->end() && f->is_array() && !f->empty();
}

bool HasDeletionTimestamp(const nlohmann::json& obj) {
  auto meta = obj.find("metadata");
  return meta != obj.end() && meta->contains("deletionTimestamp") &&
         !(*meta)["deletionTimestamp"].is_null();
}

void AddFinalizer(nlohmann::json& obj, const std::string& finalizer) {
  nlohmann::json& f = Meta(obj)["finalizers"];
  if (!f.is_array()) f = nlohmann::json::array();
  if (std::find(f.begin(), f.end(), finalizer) == f.end()) f.push_back(finalizer);
}

Result<nlohmann::json> ParseStored(const store::KeyValue& kv) {
  nlohmann::json obj = nlohmann::json::parse(kv.value, nullptr, false);
  if (!obj.is_object()) return InternalError("stored object at \"" + kv.key + "\" is corrupt");
  return obj;
}

}  // namespace

RestStorage::RestStorage(ResourceInfo info, std::shared_ptr<ResourceStrategy> strategy,
                         store::Store* store, CacheHub* hub, WatchCache* cache, Clock clock)
    : info_(std::move(info)),
      strategy_(strategy ? std::move(strategy) : std::make_shared<ResourceStrategy>()),
      store_(store),
      hub_(hub),
      cache_(cache),
      clock_(std::move(clock)) {}

Status RestStorage::WaitForConsistentRead() const {
  return hub_->WaitForRevision(store_->CurrentRevision(), kConsistentReadWaitMs);
}

std::string RestStorage::Key(std::string_view ns, std::string_view name) const {
  return StoreKey(info_.group, info_.plural, info_.namespaced ? ns : std::string_view(), name);
}

std::string RestStorage::CollectionPrefix(std::string_view ns) const {
  std::string p = ResourcePrefix(info_.group, info_.plural);
  if (info_.namespaced && !ns.empty()) {
    p += ns;
    p += '/';
  }
  return p;
}

RestStorage::StoreWrite RestStorage::PrepareStore(std::string key, nlohmann::json& obj) const {
  StoreWrite w;
  w.prepared = cache_->PrepareWrite(key, obj);
  if (!w.prepared) w.fallback = StoredBytes(obj);
  w.key = std::move(key);
  return w;
}

WriteResult RestStorage::Stored(nlohmann::json obj, const StoreWrite& write, int64_t revision,
                                bool created) {
  WriteResult out{Served(std::move(obj), revision), created};
  if (write.prepared) {
    size_t rv_pos = 0;
    size_t rv_len = 0;
    out.served_json = ServedBytes(*write.prepared, revision, &rv_pos, &rv_len);
  }
  return out;
}

void RestStorage::Abandon(const StoreWrite& write) const {
  cache_->AbandonWrite(write.key, write.prepared);
}

nlohmann::json RestStorage::Served(nlohmann::json obj, int64_t revision) {
  Meta(obj)["resourceVersion"] = std::to_string(revision);
  return obj;
}

ApiError RestStorage::NotFound(std::string_view name) const {
  std::string group_resource = info_.plural + (info_.group.empty() ? "" : "." + info_.group);
  return ApiError{NotFoundError(group_resource + " \"" + std::string(name) + "\" not found"),
                  {std::string(name), info_.group, info_.plural, "", {}, 0}};
}

ApiError RestStorage::Conflict(std::string_view name, std::string_view why) const {
  std::string group_resource = info_.plural + (info_.group.empty() ? "" : "." + info_.group);
  return ApiError{ConflictError("Operation cannot be fulfilled on " + group_resource + " \"" +
                                std::string(name) + "\": " + std::string(why)),
                  {std::string(name), info_.group, info_.plural, "", {}, 0}};
}

Status RestStorage::RunAdmission(const WriteContext& ctx, Admission::Operation op,
                                 std::string_view subresource, nlohmann::json& obj,
                                 const nlohmann::json* old) const {
  if (ctx.admission == nullptr) return Status::Ok();
  Admission::Attributes attrs;
  attrs.operation = op;
  attrs.resource = &info_;
  attrs.subresource = std::string(subresource);
  const nlohmann::json& meta = obj.contains("metadata") ? obj["metadata"] : obj;
  attrs.namespace_name = meta.value("namespace", "");
  attrs.name = meta.value("name", "");
  attrs.user = ctx.user;
  attrs.dry_run = ctx.dry_run;
  CAPSTAN_RETURN_IF_ERROR(ctx.admission->Mutate(attrs, obj, old));
  return ctx.admission->Validate(attrs, obj, old);
}

ApiResult<WriteResult> RestStorage::Create(const WriteContext& ctx, std::string_view ns,
                                           nlohmann::json obj) {
  if (!obj.is_object()) return Err(BadRequestError("the request body must be a JSON object"));
  nlohmann::json& meta = Meta(obj);
  if (info_.namespaced) {
    std::string body_ns = meta.value("namespace", "");
    if (!body_ns.empty() && body_ns != ns) {
      return Err(BadRequestError(
          "the namespace of the provided object does not match the namespace sent on the request"));
    }
    meta["namespace"] = std::string(ns);
  } else {
    meta.erase("namespace");
  }
  if (meta.contains("resourceVersion") && meta["resourceVersion"].is_string() &&
      !meta["resourceVersion"].get_ref<const std::string&>().empty()) {
    return Err(BadRequestError("resourceVersion should not be set on objects to be created"));
  }
  std::string name = meta.value("name", "");
  const std::string generate = meta.value("generateName", "");
  const bool generated = name.empty() && !generate.empty();
  if (generated) {
    name = generate + name_suffix_(5);
    meta["name"] = name;
  }
  obj["apiVersion"] = info_.ApiVersion();
  obj["kind"] = info_.kind;
  meta["uid"] = NewUid();
  meta["creationTimestamp"] = FormatRfc3339(clock_());
  meta.erase("deletionTimestamp");
  meta.erase("deletionGracePeriodSeconds");
  meta.erase("resourceVersion");
  if (obj.contains("spec")) meta["generation"] = 1;

  CAPSTAN_RETURN_IF_ERROR_AS(strategy_->PrepareForCreate(obj));
  // Undo what PrepareForCreate reserved unless the object gets stored.
  bool stored = false;
  struct AbortGuard {
    ResourceStrategy* strategy;
    const nlohmann::json& obj;
    const bool& stored;
    ~AbortGuard() {
      if (!stored) strategy->AbortCreate(obj);
    }
  } abort_guard{strategy_.get(), obj, stored};
  CAPSTAN_RETURN_IF_ERROR_AS(RunAdmission(ctx, Admission::Operation::kCreate, "", obj, nullptr));
  if (ctx.track_fields) {
    Result<nlohmann::json> tracked = ctx.track_fields(nullptr, obj, "");
    if (!tracked.ok()) return Err(tracked.status());
    obj = std::move(*tracked);
  }
  std::vector<StatusCause> causes;
  ValidateObjectMeta(obj["metadata"], info_.namespaced, info_.name_rule, &causes);
  strategy_->Validate(obj, &causes);
  if (!causes.empty()) {
    ApiError e{InvalidObjectError(info_.kind, name, causes), {}};
    e.details = {name, info_.group, info_.kind, "", causes, 0};
    return e;
  }
  if (ctx.dry_run) return WriteResult{Served(obj, store_->CurrentRevision()), true};

  StoreWrite write = PrepareStore(Key(ns, name), obj);
  Result<store::KeyValue> kv = store_->Create(write.key, write.bytes());
  // A generated name that is taken is generated again, as upstream (RetryGenerateName) does:
  // five random characters collide a few times among 10,000 pods of one ReplicaSet.
  for (int attempt = 1; generated && attempt < kMaxGenerateNameAttempts && !kv.ok() &&
                        kv.status().code() == StatusCode::kAlreadyExists;
       ++attempt) {
    Abandon(write);
    name = generate + name_suffix_(5);
    obj["metadata"]["name"] = name;
    write = PrepareStore(Key(ns, name), obj);
    kv = store_->Create(write.key, write.bytes());
  }
  stored = kv.ok();
  if (!kv.ok()) {
    Abandon(write);
    if (kv.status().code() == StatusCode::kAlreadyExists) {
      std::string group_resource = info_.plural + (info_.group.empty() ? "" : "." + info_.group);
      return ApiError{AlreadyExistsError(group_resource + " \"" + name + "\" already exists"),
                      {name, info_.group, info_.plural, "", {}, 0}};
    }
    return Err(kv.status());
  }
  return Stored(std::move(obj), write, kv->mod_revision, true);
}

ApiResult<CachedObjectPtr> RestStorage::Get(std::string_view ns, std::string_view name) const {
  // A consistent read: the cache must have seen every write acknowledged before this call.
  CAPSTAN_RETURN_IF_ERROR_AS(WaitForConsistentRead());
  CachedObjectPtr obj = cache_->Get(Key(ns, name));
  if (!obj) return NotFound(name);
  return obj;
}

ApiResult<WriteResult> RestStorage::Update(const WriteContext& ctx, std::string_view ns,
                                           std::string_view name, std::string_view subresource,
                                           nlohmann::json obj) {
  if (!obj.is_object()) return Err(BadRequestError("the request body must be a JSON object"));
  nlohmann::json& meta = Meta(obj);
  std::string body_name = meta.value("name", "");
  if (!body_name.empty() && body_name != name) {
    return Err(BadRequestError("the name of the object (" + body_name +
                               ") does not match the name on the URL (" + std::string(name) + ")"));
  }
  std::string precondition = meta.value("resourceVersion", "");
  auto mutate = [&](const nlohmann::json* current) -> ApiResult<nlohmann::json> {
    if (current == nullptr) return NotFound(name);
    if (!precondition.empty() &&
        precondition != current->at("metadata").value("resourceVersion", "")) {
      return Conflict(name,
                      "the object has been modified; please apply your changes to the latest "
                      "version and try again");
    }
    return obj;
  };
  return Modify(ctx, ns, name, subresource, mutate);
}

ApiResult<WriteResult> RestStorage::Modify(const WriteContext& ctx, std::string_view ns,
                                           std::string_view name, std::string_view subresource,
                                           const Mutation& mutate, bool create_if_missing) {
  const std::string key = Key(ns, name);
  for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
    Result<store::KeyValue> current = store_->Get(key);
    if (!current.ok() && current.status().code() != StatusCode::kNotFound) {
      return Err(current.status());
    }
    if (!current.ok()) {
      if (!create_if_missing) return NotFound(name);
      ApiResult<nlohmann::json> desired = mutate(nullptr);
      if (auto* e = std::get_if<ApiError>(&desired)) return *e;
      return Create(ctx, ns, std::get<nlohmann::json>(std::move(desired)));
    }
    Result<nlohmann::json> old_obj = ParseStored(*current);
    if (!old_obj.ok()) return Err(old_obj.status());
    nlohmann::json served_old = Served(*old_obj, current->mod_revision);
    ApiResult<nlohmann::json> desired = mutate(&served_old);
    if (auto* e = std::get_if<ApiError>(&desired)) return *e;
    ApiResult<WriteResult> r =
        WriteUpdate(ctx, *current, std::move(*old_obj),
                    std::get<nlohmann::json>(std::move(desired)), subresource);
    if (auto* e = std::get_if<ApiError>(&r);
        e != nullptr && e->status.code() == StatusCode::kConflict && e->details.kind == "$cas") {
      continue;  // lost a race with another writer: re-read and re-apply
    }
    return r;
  }
  return Conflict(name, "too many concurrent writers; try again");
}

ApiResult<WriteResult> RestStorage::WriteUpdate(const WriteContext& ctx,
                                                const store::KeyValue& current,
                                                nlohmann::json old_obj, nlohmann::json obj,
                                                std::string_view subresource) {
  if (!obj.is_object()) return Err(BadRequestError("the object must be a JSON object"));
  const nlohmann::json& old_meta = old_obj["metadata"];
  nlohmann::json& meta = Meta(obj);
  std::string name = old_meta.value("name", "");
  // Fields clients cannot change.
  for (const char* field : {"uid", "creationTimestamp", "deletionTimestamp",
                            "deletionGracePeriodSeconds", "generation", "namespace", "name"}) {
    if (old_meta.contains(field)) {
      meta[field] = old_meta[field];
    } else {
      meta.erase(field);
    }
  }
  obj["apiVersion"] = info_.ApiVersion();
  obj["kind"] = info_.kind;
  if (subresource == kFinalizeSubresource) {
    obj = ApplyFinalize(old_obj, obj);  // only a namespace's spec.finalizers
  } else if (subresource == "status") {
    // Only status changes through /status.
    nlohmann::json status = obj.contains("status") ? obj["status"] : nlohmann::json();
    obj = old_obj;
    if (status.is_null()) {
      obj.erase("status");
    } else {
      obj["status"] = std::move(status);
    }
  } else if (info_.has_status && subresource != "binding") {
    // The main resource ignores status changes. (pods/binding sets spec.nodeName and the
    // PodScheduled condition together.)
    if (old_obj.contains("status")) {
      obj["status"] = old_obj["status"];
    } else {
      obj.erase("status");
    }
  }
  if (SpecChanged(old_obj, obj) && old_meta.contains("generation")) {
    Meta(obj)["generation"] = old_meta["generation"].get<int64_t>() + 1;
  }
  bool prepared = false;
  bool committed = false;
  if (subresource.empty()) {
    CAPSTAN_RETURN_IF_ERROR_AS(strategy_->PrepareForUpdate(obj, old_obj));
    prepared = true;
  }
  // Tells the strategy how the attempt ended (e.g. release ports a type change stopped using).
  struct UpdateGuard {
    ResourceStrategy* strategy;
    const nlohmann::json& obj;
    const nlohmann::json& old;
    const bool& prepared;
    const bool& committed;
    ~UpdateGuard() {
      if (prepared) strategy->AfterUpdate(obj, old, committed);
    }
  } update_guard{strategy_.get(), obj, old_obj, prepared, committed};
  CAPSTAN_RETURN_IF_ERROR_AS(
      RunAdmission(ctx, Admission::Operation::kUpdate, subresource, obj, &old_obj));
  if (ctx.track_fields) {
    nlohmann::json served_old = Served(old_obj, current.mod_revision);
    Result<nlohmann::json> tracked = ctx.track_fields(&served_old, obj, subresource);
    if (!tracked.ok()) return Err(tracked.status());
    obj = std::move(*tracked);
  }
  std::vector<StatusCause> causes;
  ValidateObjectMeta(obj["metadata"], info_.namespaced, info_.name_rule, &causes);
  // Subresources other than the main object are validated by their handlers.
  if (subresource.empty()) strategy_->ValidateUpdate(obj, old_obj, &causes);
  if (!causes.empty()) {
    ApiError e{InvalidObjectError(info_.kind, name, causes), {}};
    e.details = {name, info_.group, info_.kind, "", causes, 0};
    return e;
  }
  // A write that changes nothing keeps its resourceVersion (kubectl: "patched (no change)").
  if (SameContent(old_obj, obj)) {
    committed = true;
    return WriteResult{Served(obj, current.mod_revision)};
  }
  // Removing the last finalizer of an object being deleted completes the deletion.
  if (HasDeletionTimestamp(obj) && !HasFinalizers(obj) && !AwaitsSpecFinalizers(info_, obj) &&
      GracePeriodOf(obj) == 0) {
    ApiResult<WriteResult> done = FinishDelete(ctx, current, obj);
    committed = !std::holds_alternative<ApiError>(done) && !ctx.dry_run;
    return done;
  }
  if (ctx.dry_run) return WriteResult{Served(obj, current.mod_revision)};
  StoreWrite write = PrepareStore(current.key, obj);
  Result<store::KeyValue> kv = store_->Update(write.key, write.bytes(), current.mod_revision);
  committed = kv.ok();
  if (!kv.ok()) {
    Abandon(write);
    if (kv.status().code() == StatusCode::kConflict) {
      ApiError e = Conflict(name, "the object has been modified");
      e.details.kind = "$cas";  // internal marker: retry in Modify
      return e;
    }
    if (kv.status().code() == StatusCode::kNotFound) return NotFound(name);
    return Err(kv.status());
  }
  return Stored(obj, write, kv->mod_revision, false);  // a copy: update_guard reads obj
}

ApiResult<WriteResult> RestStorage::FinishDelete(const WriteContext& ctx,
                                                 const store::KeyValue& current,
                                                 const nlohmann::json& obj) {
  if (ctx.dry_run) return WriteResult{Served(obj, current.mod_revision), false, true};
  Result<store::KeyValue> kv = store_->Delete(current.key, current.mod_revision);
  if (!kv.ok()) {
    if (kv.status().code() == StatusCode::kConflict) {
      ApiError e = Conflict(obj["metadata"].value("name", ""), "the object has been modified");
      e.details.kind = "$cas";
      return e;
    }
    return Err(kv.status());
  }
  strategy_->AfterDelete(obj);
  return WriteResult{Served(obj, current.mod_revision), false, true};
}

ApiResult<WriteResult> RestStorage::Delete(const WriteContext& ctx, std::string_view ns,
                                           std::string_view name, const DeleteOptions& options) {
  const std::string key = Key(ns, name);
  for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
    Result<store::KeyValue> current = store_->Get(key);
    if (!current.ok()) {
      if (current.status().code() == StatusCode::kNotFound) return NotFound(name);
      return Err(current.status());
    }
    Result<nlohmann::json> parsed = ParseStored(*current);
    if (!parsed.ok()) return Err(parsed.status());
    nlohmann::json obj = std::move(*parsed);
    const nlohmann::json& meta = obj["metadata"];
    if (!options.precondition_uid.empty() && options.precondition_uid != meta.value("uid", "")) {
      return Conflict(name,
                      "Precondition failed: UID in precondition: " + options.precondition_uid +
                          ", UID in object meta: " + meta.value("uid", ""));
    }
    if (!options.precondition_resource_version.empty() &&
        options.precondition_resource_version != std::to_string(current->mod_revision)) {
      return Conflict(
          name, "Precondition failed: ResourceVersion in precondition: " +
                    options.precondition_resource_version +
                    ", ResourceVersion in object meta: " + std::to_string(current->mod_revision));
    }
    nlohmann::json served_old = Served(obj, current->mod_revision);
    if (ctx.admission != nullptr) {
      nlohmann::json copy = served_old;
      CAPSTAN_RETURN_IF_ERROR_AS(
          RunAdmission(ctx, Admission::Operation::kDelete, "", copy, &served_old));
    }
    int64_t grace = options.grace_period_seconds >= 0 ? options.grace_period_seconds
                                                      : strategy_->DefaultGracePeriodSeconds(obj);
    if (options.propagation_policy == "Foreground") AddFinalizer(obj, "foregroundDeletion");
    if (options.propagation_policy == "Orphan") AddFinalizer(obj, "orphan");
    bool already_deleting = HasDeletionTimestamp(obj);
    if (!HasFinalizers(obj) && !AwaitsSpecFinalizers(info_, obj) && grace == 0) {
      ApiResult<WriteResult> r = FinishDelete(ctx, *current, obj);
      if (auto* e = std::get_if<ApiError>(&r); e != nullptr && e->details.kind == "$cas") continue;
      return r;
    }
    // Graceful deletion or finalizers pending: mark the object and let its owners finish.
    nlohmann::json& m = Meta(obj);
    // A first deletion sets the grace period; a later, shorter one may shorten it (e.g.
    // --grace-period=0 --force).
    bool shortens = already_deleting && m.contains("deletionGracePeriodSeconds") &&
                    grace < m["deletionGracePeriodSeconds"].get<int64_t>();
    MarkTerminating(info_, obj);
    if (!already_deleting || shortens) {
      m["deletionTimestamp"] = FormatRfc3339(clock_() + grace * 1000);
      m["deletionGracePeriodSeconds"] = grace;
    }
    if (ctx.dry_run) return WriteResult{Served(std::move(obj), current->mod_revision)};
    StoreWrite write = PrepareStore(key, obj);
    Result<store::KeyValue> kv = store_->Update(key, write.bytes(), current->mod_revision);
    if (!kv.ok()) {
      Abandon(write);
      if (kv.status().code() == StatusCode::kConflict) continue;
      return Err(kv.status());
    }
    return WriteResult{Served(std::move(obj), kv->mod_revision)};
  }
  return Conflict(name, "too many concurrent writers; try again");
}

}  // namespace capstan::apiserver
