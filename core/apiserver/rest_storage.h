// `RestStorage`: the generic create/get/list/update/patch/delete logic for one resource, on a
// `store::Store` (writes) and its `WatchCache` (reads), with per-resource hooks in
// `ResourceStrategy`. The HTTP side (api_handler.cc) decodes requests and encodes replies;
// everything about object semantics (bookkeeping, CAS, graceful deletion, finalizers, dry-run,
// no-op writes) lives here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "core/apiserver/cache_hub.h"
#include "core/apiserver/object_meta.h"
#include "core/apiserver/status_json.h"
#include "core/apiserver/watch_cache.h"
#include "core/store/store.h"

namespace capstan::apiserver {

// What RestStorage needs to know about its resource.
struct ResourceInfo {
  std::string group;
  std::string version;
  std::string kind;
  std::string plural;
  bool namespaced = true;
  bool has_status = false;  // has a status subresource: main-resource writes keep status
  NameRule name_rule = NameRule::kDnsSubdomain;
  std::vector<std::string> selectable_fields;  // beyond metadata.name/namespace

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
};

// Per-resource hooks (upstream's "strategy"). Defaults do nothing. Called with the object
// being written; append causes to reject with 422.
class ResourceStrategy {
 public:
  virtual ~ResourceStrategy() = default;
  // After bookkeeping, before admission: defaulting (e.g. pod restartPolicy, Service clusterIP).
  virtual Status PrepareForCreate(nlohmann::json& /*obj*/) { return Status::Ok(); }
  virtual Status PrepareForUpdate(nlohmann::json& /*obj*/, const nlohmann::json& /*old*/) {
    return Status::Ok();
  }
  virtual void Validate(const nlohmann::json& /*obj*/, std::vector<StatusCause>* /*causes*/) {}
  // Appends the paths of the fields of a write's body that the resource's schema does not know
  // and the write will drop, for `fieldValidation` (custom resources: crd_schema.h's forms).
  // Built-in kinds are checked against their upstream schema by the API server instead, so by
  // default there are none.
  virtual void FindUnknownFields(const nlohmann::json& /*obj*/, bool /*apply_style*/,
                                 std::vector<std::string>* /*paths*/) const {}
  virtual void ValidateUpdate(const nlohmann::json& obj, const nlohmann::json& /*old*/,
                              std::vector<StatusCause>* causes) {
    Validate(obj, causes);
  }
  // Seconds of graceful deletion for this object when the client gave none; 0 deletes at once.
  virtual int64_t DefaultGracePeriodSeconds(const nlohmann::json& /*obj*/) { return 0; }
  // Called after an object was removed from the store (e.g. release a Service's cluster IP).
  virtual void AfterDelete(const nlohmann::json& /*obj*/) {}
  // Called when a create whose PrepareForCreate succeeded does not store the object (rejected,
  // dry-run, store error): undo what PrepareForCreate reserved.
  virtual void AbortCreate(const nlohmann::json& /*obj*/) {}
  // Called after each update attempt that ran PrepareForUpdate: `committed` is true when the
  // object was stored (or the write was a no-op), false when the attempt failed or will retry.
  virtual void AfterUpdate(const nlohmann::json& /*obj*/, const nlohmann::json& /*old*/,
                           bool /*committed*/) {}
};

// Admission, as the write path sees it: mutators then validators (see DESIGN.md §1). The
// implementation calls the plugin chains; null means "admit everything".
class Admission {
 public:
  enum class Operation : uint8_t { kCreate, kUpdate, kDelete };
  struct Attributes {
    Operation operation = Operation::kCreate;
    const ResourceInfo* resource = nullptr;
    std::string subresource;
    std::string namespace_name;
    std::string name;
    std::string user;
    bool dry_run = false;
  };
  virtual ~Admission() = default;
  virtual Status Mutate(const Attributes& attrs, nlohmann::json& obj,
                        const nlohmann::json* old) = 0;
  virtual Status Validate(const Attributes& attrs, const nlohmann::json& obj,
                          const nlohmann::json* old) = 0;
};

// Records field ownership (metadata.managedFields) for a write: gets the live object (null on
// create), the object about to be stored, and the subresource; returns the object to store.
using FieldTracker = std::function<Result<nlohmann::json>(
    const nlohmann::json* live, nlohmann::json obj, std::string_view subresource)>;

// Everything about the caller and options of one write.
struct WriteContext {
  std::string user;
  std::string field_manager;
  bool dry_run = false;
  Admission* admission = nullptr;
  // Null: managedFields are left as the request sent them (server-side apply sets them itself).
  FieldTracker track_fields;
};

// A failed call: the Status plus the details for metav1.Status (causes for 422).
struct ApiError {
  Status status;
  StatusDetails details;
};

// The outcome of a write: the object as served (with resourceVersion), and whether it was
// created (201) / deleted right away (Status Success).
struct WriteResult {
  nlohmann::json object;
  bool created = false;
  bool removed = false;
  // `object` serialized as it is served, when the write produced those bytes anyway (a stored
  // create or update); empty otherwise. Replies use it instead of serializing `object` again.
  std::string served_json = {};
};

template <typename T>
using ApiResult = std::variant<T, ApiError>;

struct DeleteOptions {
  // -1: not given (use the strategy default).
  int64_t grace_period_seconds = -1;
  std::string propagation_policy;  // Background (default), Foreground, Orphan
  std::string precondition_uid;
  std::string precondition_resource_version;
};

// Thread-safe: no mutable state besides the store and cache, which are thread-safe.
class RestStorage {
 public:
  RestStorage(ResourceInfo info, std::shared_ptr<ResourceStrategy> strategy, store::Store* store,
              CacheHub* hub, WatchCache* cache, Clock clock = SystemClockMs);

  const ResourceInfo& info() const { return info_; }
  const ResourceStrategy& strategy() const { return *strategy_; }
  // Replaces the source of generateName suffixes (default: object_meta.h's RandomSuffix), e.g.
  // so a test makes them collide. Call before the storage is used.
  void SetNameSuffixSource(std::function<std::string(size_t)> source) {
    name_suffix_ = std::move(source);
  }
  WatchCache* cache() const { return cache_; }
  std::string Key(std::string_view ns, std::string_view name) const;
  // The prefix of the collection: the resource, or one namespace of it.
  std::string CollectionPrefix(std::string_view ns) const;
  // Waits until the cache reflects every write acknowledged so far (kTimeout otherwise); lists
  // call it before reading the cache.
  Status WaitForConsistentRead() const;

  ApiResult<WriteResult> Create(const WriteContext& ctx, std::string_view ns, nlohmann::json obj);
  // From the cache, after it caught up with the store (a consistent read).
  ApiResult<CachedObjectPtr> Get(std::string_view ns, std::string_view name) const;
  // Replaces the object (PUT). `subresource` "" or "status". A resourceVersion in `obj` is a
  // precondition (409 Conflict when stale).
  ApiResult<WriteResult> Update(const WriteContext& ctx, std::string_view ns, std::string_view name,
                                std::string_view subresource, nlohmann::json obj);
  // Read-modify-write with retries on conflict: `mutate` turns the current object (null when
  // absent and `create_if_missing`) into the desired one (PATCH, apply, scale).
  using Mutation = std::function<ApiResult<nlohmann::json>(const nlohmann::json* current)>;
  ApiResult<WriteResult> Modify(const WriteContext& ctx, std::string_view ns, std::string_view name,
                                std::string_view subresource, const Mutation& mutate,
                                bool create_if_missing = false);
  ApiResult<WriteResult> Delete(const WriteContext& ctx, std::string_view ns, std::string_view name,
                                const DeleteOptions& options);

 private:
  ApiError NotFound(std::string_view name) const;
  ApiError Conflict(std::string_view name, std::string_view why) const;
  ApiResult<WriteResult> WriteUpdate(const WriteContext& ctx, const store::KeyValue& current,
                                     nlohmann::json old_obj, nlohmann::json obj,
                                     std::string_view subresource);
  ApiResult<WriteResult> FinishDelete(const WriteContext& ctx, const store::KeyValue& current,
                                      const nlohmann::json& obj);
  Status RunAdmission(const WriteContext& ctx, Admission::Operation op,
                      std::string_view subresource, nlohmann::json& obj,
                      const nlohmann::json* old) const;
  static nlohmann::json Served(nlohmann::json obj, int64_t revision);
  // Serializes `obj` once for the store and hands the cache what it needs to index the write's
  // event without re-parsing (watch_cache.h PrepareWrite). `Abandon` after a failed write.
  struct StoreWrite {
    std::string key;
    std::shared_ptr<const PreparedWrite> prepared;
    std::string fallback;  // the bytes when the object could not be prepared
    std::string_view bytes() const { return prepared ? prepared->stored : fallback; }
  };
  StoreWrite PrepareStore(std::string key, nlohmann::json& obj) const;
  // The result of a stored write: `obj` at `revision`, with its served bytes when prepared.
  static WriteResult Stored(nlohmann::json obj, const StoreWrite& write, int64_t revision,
                            bool created);
  void Abandon(const StoreWrite& write) const;

  ResourceInfo info_;
  std::shared_ptr<ResourceStrategy> strategy_;
  store::Store* store_;
  CacheHub* hub_;
  WatchCache* cache_;
  Clock clock_;
  std::function<std::string(size_t)> name_suffix_ = RandomSuffix;
};

}  // namespace capstan::apiserver
