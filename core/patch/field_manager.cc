// Server-side apply and managedFields bookkeeping (after upstream's merge.Updater and the
// field manager chain in k8s.io/apimachinery/pkg/util/managedfields). Header: field_manager.h.
#include "core/patch/field_manager.h"

#include <algorithm>
#include <map>

#include "core/common/config.h"
#include "core/patch/typed_ops.h"

namespace capstan::patch {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kBeforeFirstApplyManager = "before-first-apply";
constexpr std::string_view kAncientChangesManager = "ancient-changes";

// Fields nobody owns (upstream's stripMetaManager).
const FieldSet& StripSet() {
  static const FieldSet* set = [] {
    auto* s = new FieldSet(FieldSet::OfFields(
        {"apiVersion", "kind", "metadata", "metadata.name", "metadata.namespace",
         "metadata.creationTimestamp", "metadata.selfLink", "metadata.uid", "metadata.clusterName",
         "metadata.generation", "metadata.managedFields", "metadata.resourceVersion"}));
    return s;
  }();
  return *set;
}

const Json* ManagedFieldsOf(const Json& object) {
  if (!object.is_object()) return nullptr;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return nullptr;
  auto mf = meta->find("managedFields");
  return mf == meta->end() ? nullptr : &*mf;
}

void SetManagedFields(Json& object, Json managed) {
  if (!object.is_object()) return;
  if (managed.empty()) {
    if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
      meta->erase("managedFields");
    }
    return;
  }
  Json& meta = object["metadata"];
  if (!meta.is_object()) meta = Json::object();  // never index a non-object (it would throw)
  meta["managedFields"] = std::move(managed);
}

ManagedFieldsEntry& EntryFor(ManagedFields& managers, std::string_view manager,
                             std::string_view operation, std::string_view version,
                             std::string_view subresource) {
  for (ManagedFieldsEntry& e : managers) {
    if (e.SameManager(manager, operation, version, subresource)) return e;
  }
  ManagedFieldsEntry e;
  e.manager = manager;
  e.operation = operation;
  e.api_version = version;
  e.subresource = subresource;
  managers.push_back(std::move(e));
  return managers.back();
}

void DropEmpty(ManagedFields& managers) {
  std::erase_if(managers, [](const ManagedFieldsEntry& e) { return e.fields.Empty(); });
}

void Exclude(Comparison& c, const FieldSet* ignored) {
  if (ignored == nullptr) return;
  c.added = c.added.RecursiveDifference(*ignored);
  c.modified = c.modified.RecursiveDifference(*ignored);
  c.removed = c.removed.RecursiveDifference(*ignored);
}

// Upstream `capUpdateManagers`: past kMaxUpdateManagers Update entries, the oldest are merged
// into an "ancient-changes" entry per API version.
void CapUpdateManagers(ManagedFields& managers) {
  std::vector<size_t> updaters;
  for (size_t i = 0; i < managers.size(); ++i) {
    if (!managers[i].applied()) updaters.push_back(i);
  }
  if (updaters.size() <= kMaxUpdateManagers) return;
  std::sort(updaters.begin(), updaters.end(), [&](size_t a, size_t b) {
    const ManagedFieldsEntry& x = managers[a];
    const ManagedFieldsEntry& y = managers[b];
    return std::tie(x.time, x.manager, x.api_version, x.subresource) <
           std::tie(y.time, y.manager, y.api_version, y.subresource);
  });
  std::vector<bool> dead(managers.size(), false);
  std::map<std::string, size_t> first_for_version;
  std::map<std::string, size_t> bucket_for_version;
  size_t length = updaters.size();
  for (size_t i = 0; i < updaters.size() && length > kMaxUpdateManagers; ++i) {
    ManagedFieldsEntry& u = managers[updaters[i]];
    auto first = first_for_version.find(u.api_version);
    if (first == first_for_version.end()) {
      first_for_version[u.api_version] = updaters[i];
      continue;
    }
    auto bucket = bucket_for_version.find(u.api_version);
    if (bucket == bucket_for_version.end()) {
      ManagedFieldsEntry& f = managers[first->second];
      f.manager = kAncientChangesManager;
      f.subresource.clear();
      bucket = bucket_for_version.emplace(u.api_version, first->second).first;
    }
    ManagedFieldsEntry& b = managers[bucket->second];
    b.fields = b.fields.Union(u.fields);
    b.time = u.time;
    dead[updaters[i]] = true;
    --length;
  }
  ManagedFields kept;
  for (size_t i = 0; i < managers.size(); ++i) {
    if (!dead[i]) kept.push_back(std::move(managers[i]));
  }
  managers = std::move(kept);
}

// Upstream Updater.update plus the managedFieldsUpdater/stripMeta wrappers for an Update by
// (`manager`, Update, options.api_version, options.subresource).
Status RecordUpdate(const Json& before, const Json& after, ManagedFields& managers,
                    std::string_view manager, const WriteOptions& options,
                    const PatchSchema& schema) {
  Result<Comparison> cmp = Compare(before, after, schema);
  if (!cmp.ok()) return cmp.status();
  Exclude(*cmp, options.ignored);
  FieldSet changed = cmp->added.Union(cmp->modified);
  for (ManagedFieldsEntry& e : managers) {
    e.fields = e.fields.Difference(changed).Difference(cmp->removed);
  }
  FieldSet mine = changed.Difference(StripSet());
  if (!mine.Empty()) {
    ManagedFieldsEntry& e =
        EntryFor(managers, manager, kOperationUpdate, options.api_version, options.subresource);
    e.fields = e.fields.Union(mine);
    e.time = options.now;
  }
  DropEmpty(managers);
  return Status::Ok();
}

// Upstream `prune`: drop what `applier` applied last time (`last`) but no longer does, unless
// another manager (or the new configuration) claims it.
Result<Json> Prune(const Json& merged, const ManagedFields& managers, const FieldSet& last,
                   const PatchSchema& schema) {
  if (last.Empty()) return merged;
  FieldSet last_named = EnsureNamedFieldsAreMembers(last, schema);
  FieldSet managed;
  for (const ManagedFieldsEntry& e : managers) managed = managed.Union(e.fields);
  managed = EnsureNamedFieldsAreMembers(managed, schema);
  Result<FieldSet> merged_set = ToFieldSet(merged, schema);
  if (!merged_set.ok()) return merged_set.status();
  FieldSet merged_named = EnsureNamedFieldsAreMembers(*merged_set, schema);

  Json pruned = RemoveItems(merged, last_named, schema);
  Result<FieldSet> pruned_set = ToFieldSet(pruned, schema);
  if (!pruned_set.ok()) return pruned_set.status();
  FieldSet keep = EnsureNamedFieldsAreMembers(*pruned_set, schema).Union(managed);
  pruned = RemoveItems(merged, merged_named.Difference(keep), schema);  // add back owned items

  pruned_set = ToFieldSet(pruned, schema);
  if (!pruned_set.ok()) return pruned_set.status();
  FieldSet gone = merged_named.Difference(EnsureNamedFieldsAreMembers(*pruned_set, schema))
                      .Intersection(last_named);
  return RemoveItems(merged, gone, schema);  // add back items the applier never owned
}

Json WithoutManagedFields(Json object) {
  SetManagedFields(object, Json::array());
  return object;
}

}  // namespace

Result<ApplyResult> ServerSideApply(const nlohmann::json& live, const nlohmann::json& config,
                                    const WriteOptions& options, bool force,
                                    const PatchSchema& schema,
                                    std::vector<FieldConflict>* conflicts) {
  if (!config.is_object()) return BadRequestError("the applied configuration must be an object");
  if (const Json* mf = ManagedFieldsOf(config); mf != nullptr && !mf->is_null()) {
    return BadRequestError("metadata.managedFields must be nil");
  }
  ApplyResult result;
  result.created = live.is_null();
  Json live_obj = result.created ? Json::object() : WithoutManagedFields(live);
  ManagedFields managers;
  if (const Json* mf = ManagedFieldsOf(live); mf != nullptr) {
    Result<ManagedFields> decoded = DecodeManagedFields(*mf);
    if (decoded.ok()) managers = std::move(decoded).value();  // unreadable sets are reset
  }
  if (managers.empty() && !result.created) {
    CAPSTAN_RETURN_IF_ERROR(RecordUpdate(Json::object(), live_obj, managers,
                                         kBeforeFirstApplyManager, options, schema));
  }

  Result<Json> merged = MergeApplied(live_obj, config, schema);
  if (!merged.ok()) return merged.status();
  Result<FieldSet> applied = ToFieldSet(config, schema);
  if (!applied.ok()) return applied.status();
  FieldSet set = options.ignored != nullptr ? applied->RecursiveDifference(*options.ignored)
                                            : std::move(applied).value();
  FieldSet last;
  {
    ManagedFieldsEntry& self =
        EntryFor(managers, options.manager, kOperationApply, "", options.subresource);
    last = std::move(self.fields);
    self.fields = std::move(set);
    self.api_version = options.api_version;
  }
  Result<Json> pruned = Prune(*merged, managers, last, schema);
  if (!pruned.ok()) return pruned.status();

  Result<Comparison> cmp = Compare(live_obj, *pruned, schema);
  if (!cmp.ok()) return cmp.status();
  Exclude(*cmp, options.ignored);
  FieldSet changed = cmp->added.Union(cmp->modified);
  std::vector<FieldConflict> found;
  for (ManagedFieldsEntry& e : managers) {
    if (e.SameManager(options.manager, kOperationApply, "", options.subresource)) continue;
    FieldSet clash = e.fields.Intersection(changed);
    clash.Iterate([&](const FieldPath& p) {
      found.push_back({e.manager, DescribeManager(e), PathString(p)});
    });
  }
  if (!found.empty() && !force) {
    std::sort(found.begin(), found.end(), [](const FieldConflict& a, const FieldConflict& b) {
      return std::tie(a.manager_description, a.field) < std::tie(b.manager_description, b.field);
    });
    std::string message = ConflictMessage(found);
    if (conflicts != nullptr) *conflicts = std::move(found);
    return ConflictError(std::move(message));
  }
  for (ManagedFieldsEntry& e : managers) {
    if (e.SameManager(options.manager, kOperationApply, "", options.subresource)) {
      e.fields = e.fields.Difference(StripSet());
      if (*pruned != live_obj || e.time.empty()) e.time = options.now;
    } else {
      e.fields = e.fields.Difference(changed).Difference(cmp->removed);
    }
  }
  DropEmpty(managers);
  CapUpdateManagers(managers);
  result.object = std::move(pruned).value();
  SetManagedFields(result.object, EncodeManagedFields(managers));
  return result;
}

Result<nlohmann::json> UpdateManagedFields(const nlohmann::json& live, nlohmann::json new_object,
                                           const WriteOptions& options, const PatchSchema& schema) {
  bool created = live.is_null();
  ManagedFields managers;
  bool decoded_new = false;
  const Json* new_mf = ManagedFieldsOf(new_object);
  if (options.subresource.empty() && new_mf != nullptr && new_mf->is_array() && !new_mf->empty()) {
    Result<ManagedFields> d = DecodeManagedFields(*new_mf);
    if (d.ok()) {
      managers = std::move(d).value();
      decoded_new = true;
    }
  }
  if (!decoded_new) {
    if (const Json* mf = ManagedFieldsOf(live); mf != nullptr) {
      Result<ManagedFields> d = DecodeManagedFields(*mf);
      if (d.ok()) managers = std::move(d).value();
    }
  }
  Json after = WithoutManagedFields(std::move(new_object));
  if (managers.empty() && !created && !decoded_new) return after;  // untracked object
  if (created && managers.empty()) {
    // A new object: everything it sets is the creator's (RecordUpdate against an empty object,
    // without the comparison).
    Result<FieldSet> added = AddedFields(after, schema);
    if (!added.ok()) return added.status();
    FieldSet mine = options.ignored != nullptr ? added->RecursiveDifference(*options.ignored)
                                               : std::move(added).value();
    mine = mine.Difference(StripSet());
    if (!mine.Empty()) {
      ManagedFieldsEntry& e = EntryFor(managers, options.manager, kOperationUpdate,
                                       options.api_version, options.subresource);
      e.fields = std::move(mine);
      e.time = options.now;
    }
    SetManagedFields(after, EncodeManagedFields(managers));
    return after;
  }
  Json before = created ? Json::object() : WithoutManagedFields(live);
  CAPSTAN_RETURN_IF_ERROR(RecordUpdate(before, after, managers, options.manager, options, schema));
  CapUpdateManagers(managers);
  SetManagedFields(after, EncodeManagedFields(managers));
  return after;
}

std::string ConflictMessage(const std::vector<FieldConflict>& conflicts) {
  if (conflicts.size() == 1) {
    return "Apply failed with 1 conflict: conflict with " + conflicts[0].manager_description +
           ": " + conflicts[0].field;
  }
  std::map<std::string, std::vector<std::string>> by_manager;
  for (const FieldConflict& c : conflicts) by_manager[c.manager_description].push_back(c.field);
  std::string out = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: ";
  bool first = true;
  for (const auto& [manager, fields] : by_manager) {
    if (!first) out += "\n";
    first = false;
    out += "conflicts with " + manager + ":";
    for (const std::string& f : fields) out += "\n- " + f;
  }
  return out;
}

std::string ManagerFromUserAgent(std::string_view user_agent) {
  std::string_view prefix = user_agent.substr(0, user_agent.find('/'));
  std::string out;
  for (size_t i = 0; i < prefix.size();) {
    auto c = static_cast<unsigned char>(prefix[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 1;
    len = std::min(len, prefix.size() - i);
    if (len == 1 && (c < 0x20 || c == 0x7f || c >= 0x80)) {
      ++i;  // control characters and stray bytes are not printable
      continue;
    }
    if (out.size() + len > kFieldManagerMaxLength) break;
    out.append(prefix.substr(i, len));
    i += len;
  }
  return out;
}

Status ValidateFieldManager(std::string_view manager, bool is_apply) {
  if (manager.empty()) {
    if (is_apply) return InvalidError("fieldManager: Required value: is required for apply patch");
    return Status::Ok();
  }
  if (manager.size() > kFieldManagerMaxLength) {
    return InvalidError("fieldManager: Too long: may not be more than " +
                        std::to_string(kFieldManagerMaxLength) + " bytes");
  }
  for (char ch : manager) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      return InvalidError("fieldManager: Invalid value: " +
                          Json(manager).dump(-1, ' ', false, Json::error_handler_t::replace) +
                          ": invalid characters");
    }
  }
  return Status::Ok();
}

Result<nlohmann::json> ParseApplyPatchBody(std::string_view body) {
  size_t first = body.find_first_not_of(" \t\r\n");
  Result<Json> parsed = first != std::string_view::npos && (body[first] == '{')
                            ? config::ParseJson(body, "apply patch")
                            : config::ParseYaml(body, "apply patch");
  if (!parsed.ok()) return BadRequestError(parsed.status().message());
  return parsed;
}

}  // namespace capstan::patch
