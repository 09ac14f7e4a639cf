// CrdController (crd_controller.h): what serving a CRD means — name conflicts, registering and
// unregistering versions with the ApiServer, schema strategies, and the OpenAPI v3 documents.
// Runs on the controller's worker thread only.
#include <algorithm>

#include "core/apiserver/crd_controller.h"
#include "core/apiserver/crd_openapi.h"
#include "core/common/log.h"

namespace capstan::apiserver {
namespace {

using GroupVersionSet = std::set<std::pair<std::string, std::string>>;

std::vector<std::string> SubresourceNames(const api::ResourceInfo& r) {
  std::vector<std::string> out;
  out.reserve(r.subresources.size());
  for (const api::Subresource& s : r.subresources) out.push_back(s.name);
  std::sort(out.begin(), out.end());
  return out;
}

// Equal as far as registration is concerned.
bool SameRegistration(const api::ResourceInfo& a, const api::ResourceInfo& b) {
  return a.group == b.group && a.version == b.version && a.kind == b.kind && a.plural == b.plural &&
         a.singular == b.singular && a.list_kind == b.list_kind && a.namespaced == b.namespaced &&
         a.short_names == b.short_names && a.categories == b.categories &&
         SubresourceNames(a) == SubresourceNames(b);
}

bool Contains(const std::vector<api::ResourceInfo>& list, const api::ResourceInfo& r) {
  return std::any_of(list.begin(), list.end(),
                     [&](const api::ResourceInfo& x) { return SameRegistration(x, r); });
}

void AddGroupVersions(const std::vector<api::ResourceInfo>& list, GroupVersionSet* out) {
  for (const api::ResourceInfo& r : list) out->emplace(r.group, r.version);
}

std::string InUse(const std::string& value) { return "\"" + value + "\" is already in use"; }

}  // namespace

bool CrdController::FindConflict(const CrdDefinition& def, Condition* cond) const {
  auto conflict = [cond](const char* reason, const std::string& value) {
    *cond = {"NamesAccepted", "False", reason, InUse(value)};
    return true;
  };
  const CrdNames& n = def.names;
  for (const auto& [other_name, other] : served_) {
    if (other_name == def.name || other.group != def.group) continue;
    const CrdNames& o = other.names;
    if (o.plural == n.plural || o.singular == n.plural) return conflict("PluralConflict", n.plural);
    if (o.plural == n.singular || o.singular == n.singular) {
      return conflict("SingularConflict", n.singular);
    }
    for (const std::string& s : n.short_names) {
      if (std::find(o.short_names.begin(), o.short_names.end(), s) != o.short_names.end()) {
        return conflict("ShortNamesConflict", s);
      }
    }
    if (o.kind == n.kind || o.list_kind == n.kind) return conflict("KindConflict", n.kind);
    if (o.kind == n.list_kind || o.list_kind == n.list_kind) {
      return conflict("ListKindConflict", n.list_kind);
    }
  }
  // Resources registered by someone else (built-ins) in the same group-versions.
  std::shared_ptr<const api::RegistrySnapshot> snap = server_->registry().Snapshot();
  auto mine = served_.find(def.name);
  auto owned = [&](const api::ResourceInfo* r) {
    return mine != served_.end() && Contains(mine->second.resources, *r);
  };
  for (const api::ResourceInfo& r : def.ServedResources()) {
    const api::ResourceInfo* by_plural = snap->Find(r.group, r.version, r.plural);
    if (by_plural != nullptr && !owned(by_plural)) return conflict("PluralConflict", r.plural);
    const api::ResourceInfo* by_kind = snap->FindKind(r.group, r.version, r.kind);
    if (by_kind != nullptr && !owned(by_kind)) return conflict("KindConflict", r.kind);
  }
  return false;
}

std::shared_ptr<CustomResourceStrategy> CrdController::StrategyFor(const CrdDefinition& def) {
  // One per group/plural for the server's lifetime: the storage keeps the first one it got.
  std::shared_ptr<CustomResourceStrategy>& s = strategies_[def.group + "/" + def.names.plural];
  if (!s) s = std::make_shared<CustomResourceStrategy>(def.group, def.names.plural, def.names.kind);
  std::map<std::string, std::shared_ptr<const StructuralSchema>> schemas;
  for (const CrdVersion& v : def.versions) {
    if (v.schema) schemas.emplace(v.name, v.schema);
  }
  s->SetSchemas(std::move(schemas), def.StorageVersion().name);
  s->SetTerminating(false);
  return s;
}

Status CrdController::Register(const std::string& name, const CrdDefinition& def) {
  std::vector<api::ResourceInfo> desired = def.ServedResources();
  std::shared_ptr<CustomResourceStrategy> strategy = StrategyFor(def);
  Served& cur = served_[name];
  GroupVersionSet touched;
  AddGroupVersions(cur.resources, &touched);
  AddGroupVersions(desired, &touched);
  std::vector<api::ResourceInfo> kept;
  for (const api::ResourceInfo& r : cur.resources) {
    if (Contains(desired, r)) {
      kept.push_back(r);
      continue;
    }
    Status s = server_->UnregisterCustomResource(r.group, r.version, r.plural);
    if (!s.ok() && s.code() != StatusCode::kNotFound) {
      log::Warn("crd", "unregistering failed", {{"name", name}, {"error", s.ToString()}});
    }
  }
  cur.resources = std::move(kept);
  cur.group = def.group;
  cur.names = def.names;
  cur.schemas.clear();
  for (const CrdVersion& v : def.versions) {
    if (v.schema) cur.schemas[v.name] = v.schema->json();
  }
  Status result = Status::Ok();
  for (const api::ResourceInfo& r : desired) {
    if (Contains(cur.resources, r)) continue;
    Status s = server_->RegisterCustomResource(r, strategy);
    if (!s.ok()) {
      result = s.WithContext("registering " + r.plural + "." + r.group + "/" + r.version);
      break;
    }
    cur.resources.push_back(r);
    log::Info("crd", "serving custom resource",
              {{"group", r.group}, {"version", r.version}, {"resource", r.plural}});
  }
  RefreshOpenApi(touched);
  return result;
}

void CrdController::Withdraw(const std::string& name) {
  auto it = served_.find(name);
  if (it == served_.end()) return;
  GroupVersionSet touched;
  AddGroupVersions(it->second.resources, &touched);
  for (const api::ResourceInfo& r : it->second.resources) {
    Status s = server_->UnregisterCustomResource(r.group, r.version, r.plural);
    if (!s.ok() && s.code() != StatusCode::kNotFound) {
      log::Warn("crd", "unregistering failed", {{"name", name}, {"error", s.ToString()}});
    }
    log::Info("crd", "stopped serving custom resource",
              {{"group", r.group}, {"version", r.version}, {"resource", r.plural}});
  }
  served_.erase(it);
  RefreshOpenApi(touched);
}

void CrdController::RefreshOpenApi(const GroupVersionSet& group_versions) {
  for (const auto& [group, version] : group_versions) {
    std::vector<CrdOpenApiKind> kinds;
    for (const auto& [crd_name, served] : served_) {
      for (const api::ResourceInfo& r : served.resources) {
        if (r.group != group || r.version != version) continue;
        auto schema = served.schemas.find(version);
        kinds.push_back(
            {r, schema != served.schemas.end() ? schema->second : nlohmann::json::object()});
      }
    }
    std::string path = api::GroupVersion{group, version}.Path();
    if (kinds.empty()) {
      if (documents_.erase(path) != 0) {
        Status s = server_->openapi().RemoveV3Document(path);
        if (!s.ok()) log::Warn("crd", "removing OpenAPI document failed", {{"path", path}});
        server_->openapi().SetV2Definitions(path, nlohmann::json::object());
      }
      continue;
    }
    std::string body = BuildCrdOpenApiV3({group, version}, kinds, shared_schemas_);
    auto doc = documents_.find(path);
    if (doc != documents_.end() && doc->second == body) continue;
    documents_[path] = body;
    server_->openapi().SetV3Document(path, std::move(body));
    server_->openapi().SetV2Definitions(path, BuildCrdOpenApiV2Definitions(kinds));
  }
}

}  // namespace capstan::apiserver
