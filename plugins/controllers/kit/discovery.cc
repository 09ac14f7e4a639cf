// API discovery for controllers (see discovery.h).
#include "plugins/controllers/kit/discovery.h"

#include <algorithm>

#include "plugins/controllers/kit/api.h"

namespace capstan::controllers {

bool ApiResource::Can(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

std::string ApiResource::HostResource() const {
  return (group_version.find('/') == std::string::npos ? "/" : "") + group_version + "/" + plural;
}

std::string ApiResource::Path(std::string_view ns, std::string_view name) const {
  return ApiPath(group_version, plural, namespaced ? ns : std::string_view(), name);
}

std::vector<ApiResource> ParseResourceList(const Json& list) {
  std::vector<ApiResource> out;
  std::string gv = GetStr(list, {"groupVersion"});
  const Json* resources = sdk::json::GetArray(list, "resources");
  if (resources == nullptr || gv.empty()) return out;
  for (const Json& r : *resources) {
    ApiResource res;
    res.plural = GetStr(r, {"name"});
    if (res.plural.empty() || res.plural.find('/') != std::string::npos) continue;
    res.group_version = gv;
    res.kind = GetStr(r, {"kind"});
    const Json* ns = sdk::json::Find(r, "namespaced");
    res.namespaced = ns != nullptr && ns->is_boolean() && ns->get<bool>();
    if (const Json* verbs = sdk::json::GetArray(r, "verbs")) {
      for (const Json& v : *verbs) {
        if (v.is_string()) res.verbs.push_back(v.get<std::string>());
      }
    }
    out.push_back(std::move(res));
  }
  return out;
}

namespace {
sdk::Status GetDocument(sdk::Call& call, const std::string& path, Json* out) {
  return Send(call, "GET", path, {}, {}, out);
}
}  // namespace

sdk::Status DiscoverResources(sdk::Call& call, std::vector<ApiResource>* out,
                              std::vector<std::string>* failed_groups, std::string* first_error) {
  out->clear();
  Json core;
  CAPSTAN_SDK_RETURN_IF_ERROR(GetDocument(call, "/api/v1", &core));
  *out = ParseResourceList(core);
  Json groups;
  CAPSTAN_SDK_RETURN_IF_ERROR(GetDocument(call, "/apis", &groups));
  const Json* list = sdk::json::GetArray(groups, "groups");
  for (const Json& g : list != nullptr ? *list : Json::array()) {
    std::string gv = GetStr(g, {"preferredVersion", "groupVersion"});
    if (gv.empty()) {
      const Json* versions = sdk::json::GetArray(g, "versions");
      if (versions != nullptr && !versions->empty()) gv = GetStr((*versions)[0], {"groupVersion"});
    }
    if (gv.empty()) continue;
    Json doc;
    if (sdk::Status s = GetDocument(call, "/apis/" + gv, &doc); !s.ok()) {
      if (failed_groups != nullptr) failed_groups->push_back(gv);
      if (first_error != nullptr && first_error->empty()) *first_error = s.message();
      continue;
    }
    std::vector<ApiResource> more = ParseResourceList(doc);
    out->insert(out->end(), more.begin(), more.end());
  }
  return sdk::Status::Ok();
}

const ApiResource* FindByKind(const std::vector<ApiResource>& resources,
                              std::string_view api_version, std::string_view kind) {
  for (const ApiResource& r : resources) {
    if (r.group_version == api_version && r.kind == kind) return &r;
  }
  // Another version of the same group serves the kind too (owner refs may name an older one).
  std::string_view group = api_version.substr(0, api_version.find('/'));
  if (api_version.find('/') == std::string_view::npos) group = {};
  for (const ApiResource& r : resources) {
    std::string_view rg = r.group_version;
    rg = rg.find('/') == std::string_view::npos ? std::string_view() : rg.substr(0, rg.find('/'));
    if (rg == group && r.kind == kind) return &r;
  }
  return nullptr;
}

}  // namespace capstan::controllers
