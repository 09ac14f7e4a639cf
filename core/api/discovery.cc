// Discovery bodies and Accept negotiation. Field names and order follow what a v1.32 apiserver
// sends (see tests/core/api/testdata/ for captured bodies kubectl accepted).
#include "core/api/discovery.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "core/api/content_hash.h"

namespace capstan::api {
namespace {

using Json = nlohmann::ordered_json;
using BodyPtr = std::shared_ptr<const std::string>;
constexpr size_t kFormats = 3;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    return lower(x) == lower(y);
  });
}

struct MediaRange {
  std::string_view type;
  std::string_view g, v, as;
  bool has_params = false;  // g, v or as present
  double q = 1.0;
};

MediaRange ParseMediaRange(std::string_view text) {
  MediaRange range;
  size_t semi = text.find(';');
  range.type = Trim(text.substr(0, semi));
  while (semi != std::string_view::npos) {
    text.remove_prefix(semi + 1);
    semi = text.find(';');
    std::string_view param = Trim(text.substr(0, semi));
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = Trim(param.substr(0, eq));
    std::string_view value = Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (EqualsIgnoreCase(key, "q")) {
      double q = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
      range.q = (ec == std::errc() && end == value.data() + value.size()) ? q : 0.0;
    } else if (EqualsIgnoreCase(key, "g")) {
      range.g = value;
      range.has_params = true;
    } else if (EqualsIgnoreCase(key, "v")) {
      range.v = value;
      range.has_params = true;
    } else if (EqualsIgnoreCase(key, "as")) {
      range.as = value;
      range.has_params = true;
    }
  }
  return range;
}

// The format one media range asks for, or nullopt when we cannot produce it.
std::optional<DiscoveryFormat> FormatFor(const MediaRange& range) {
  if (EqualsIgnoreCase(range.type, "application/json")) {
    if (!range.has_params) return DiscoveryFormat::kLegacy;
    if (range.g == "apidiscovery.k8s.io" && range.as == "APIGroupDiscoveryList") {
      if (range.v == "v2") return DiscoveryFormat::kAggregatedV2;
      if (range.v == "v2beta1") return DiscoveryFormat::kAggregatedV2Beta1;
    }
    return std::nullopt;
  }
  if (range.type == "*/*" || EqualsIgnoreCase(range.type, "application/*")) {
    return DiscoveryFormat::kLegacy;
  }
  return std::nullopt;
}

std::string_view ContentTypeFor(DiscoveryFormat format) {
  switch (format) {
    case DiscoveryFormat::kAggregatedV2:
      return kAggregatedV2ContentType;
    case DiscoveryFormat::kAggregatedV2Beta1:
      return kAggregatedV2Beta1ContentType;
    case DiscoveryFormat::kLegacy:
      break;
  }
  return kJsonContentType;
}

BodyPtr Dump(const Json& json) {
  // `replace` keeps dump() from throwing on invalid UTF-8 in registered names.
  return std::make_shared<const std::string>(
      json.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace));
}

Json GvkJson(std::string_view group, std::string_view version, std::string_view kind) {
  return Json{{"group", group}, {"version", version}, {"kind", kind}};
}

Json GroupVersionJson(std::string_view group, std::string_view version) {
  return Json{{"groupVersion", GroupVersion{std::string(group), std::string(version)}.ApiVersion()},
              {"version", version}};
}

Json ApiGroupJson(const GroupInfo& group, bool with_type) {
  Json out = Json::object();
  if (with_type) {
    out["kind"] = "APIGroup";
    out["apiVersion"] = "v1";
  }
  out["name"] = group.name;
  Json versions = Json::array();
  for (const std::string& v : group.versions) versions.push_back(GroupVersionJson(group.name, v));
  out["versions"] = std::move(versions);
  out["preferredVersion"] = GroupVersionJson(group.name, group.versions.front());
  return out;
}

Json ResourceListJson(const GroupVersion& gv, const std::vector<const ResourceInfo*>& resources) {
  Json list = Json::array();
  for (const ResourceInfo* r : resources) {
    Json entry = {{"name", r->plural},
                  {"singularName", r->singular},
                  {"namespaced", r->namespaced},
                  {"kind", r->kind},
                  {"verbs", r->verbs}};
    if (!r->short_names.empty()) entry["shortNames"] = r->short_names;
    if (!r->categories.empty()) entry["categories"] = r->categories;
    list.push_back(std::move(entry));
    for (const Subresource& sub : r->subresources) {
      Json s = {{"name", r->plural + "/" + sub.name},
                {"singularName", ""},
                {"namespaced", r->namespaced}};
      if (sub.kind.group != gv.group || sub.kind.version != gv.version) {
        s["group"] = sub.kind.group;
        s["version"] = sub.kind.version;
      }
      s["kind"] = sub.kind.kind;
      s["verbs"] = sub.verbs;
      list.push_back(std::move(s));
    }
  }
  return Json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", gv.ApiVersion()},
              {"resources", std::move(list)}};
}

Json AggregatedResourceJson(const ResourceInfo& r) {
  // Top-level responseKind carries only the kind, as upstream does; subresources are fully
  // qualified because their types may live elsewhere (Scale, Eviction).
  Json entry = {{"resource", r.plural},
                {"responseKind", GvkJson("", "", r.kind)},
                {"scope", r.namespaced ? "Namespaced" : "Cluster"},
                {"singularResource", r.singular},
                {"verbs", r.verbs}};
  if (!r.short_names.empty()) entry["shortNames"] = r.short_names;
  if (!r.categories.empty()) entry["categories"] = r.categories;
  if (!r.subresources.empty()) {
    Json subs = Json::array();
    for (const Subresource& sub : r.subresources) {
      subs.push_back({{"subresource", sub.name},
                      {"responseKind", GvkJson(sub.kind.group, sub.kind.version, sub.kind.kind)},
                      {"verbs", sub.verbs}});
    }
    entry["subresources"] = std::move(subs);
  }
  return entry;
}

// `core` selects the `/api` list (the "" group only) or the `/apis` list (every other group).
Json AggregatedJson(const RegistrySnapshot& snap, bool core, std::string_view api_version) {
  Json items = Json::array();
  for (const GroupInfo& group : snap.groups()) {
    if (group.name.empty() != core) continue;
    Json metadata = {{"creationTimestamp", nullptr}};
    if (!core) metadata["name"] = group.name;
    Json versions = Json::array();
    for (const std::string& version : group.versions) {
      Json resources = Json::array();
      for (const ResourceInfo* r : snap.ResourcesOf(group.name, version)) {
        resources.push_back(AggregatedResourceJson(*r));
      }
      versions.push_back(
          {{"version", version}, {"resources", std::move(resources)}, {"freshness", "Current"}});
    }
    items.push_back({{"metadata", std::move(metadata)}, {"versions", std::move(versions)}});
  }
  return Json{{"kind", "APIGroupDiscoveryList"},
              {"apiVersion", api_version},
              {"metadata", Json::object()},
              {"items", std::move(items)}};
}

std::string CompilerName() {
#if defined(__clang__)
  return "clang-" + std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__);
#elif defined(__GNUC__)
  return "gcc-" + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__);
#else
  return "c++";
#endif
}

std::string PlatformName() {
#if defined(__x86_64__)
  return "linux/amd64";
#elif defined(__aarch64__)
  return "linux/arm64";
#elif defined(__powerpc64__)
  return "linux/ppc64le";
#elif defined(__s390x__)
  return "linux/s390x";
#elif defined(__riscv)
  return "linux/riscv64";
#else
  return "linux/unknown";
#endif
}

Json VersionJson(const VersionInfo& v) {
  return Json{{"major", v.major},
              {"minor", v.minor},
              {"gitVersion", v.git_version},
              {"gitCommit", v.git_commit},
              {"gitTreeState", v.git_tree_state},
              {"buildDate", v.build_date},
              {"goVersion", v.go_version},
              {"compiler", v.compiler.empty() ? CompilerName() : v.compiler},
              {"platform", v.platform.empty() ? PlatformName() : v.platform}};
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  while (!path.empty()) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

ServedDocument JsonDocument(BodyPtr body, std::string_view content_type = kJsonContentType,
                            std::string etag = {}) {
  ServedDocument doc;
  doc.content_type = std::string(content_type);
  doc.body = std::move(body);
  doc.etag = std::move(etag);
  return doc;
}

std::string Etag(const std::string& body) { return "\"" + Sha512Hex(body).substr(0, 32) + "\""; }

}  // namespace

DiscoveryNegotiation NegotiateDiscovery(std::string_view accept) {
  std::vector<MediaRange> ranges;
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view item = Trim(accept.substr(0, comma));
    if (!item.empty()) ranges.push_back(ParseMediaRange(item));
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  std::stable_sort(ranges.begin(), ranges.end(),
                   [](const MediaRange& a, const MediaRange& b) { return a.q > b.q; });
  for (const MediaRange& range : ranges) {
    if (range.q <= 0) continue;
    if (std::optional<DiscoveryFormat> format = FormatFor(range)) {
      return {*format, ContentTypeFor(*format)};
    }
  }
  return {DiscoveryFormat::kLegacy, kJsonContentType};
}

struct Discovery::Bodies {
  uint64_t generation = 0;
  BodyPtr version;
  std::array<BodyPtr, kFormats> api;
  std::array<BodyPtr, kFormats> apis;
  std::array<std::string, kFormats> api_etag;
  std::array<std::string, kFormats> apis_etag;
  std::map<std::string, BodyPtr, std::less<>> resource_lists;  // "group/version", "/v1" for core
  std::map<std::string, BodyPtr, std::less<>> groups;
};

Discovery::Discovery(const Registry& registry, DiscoveryOptions options)
    : registry_(registry), options_(std::move(options)) {}

std::shared_ptr<const Discovery::Bodies> Discovery::Current() const {
  std::shared_ptr<const RegistrySnapshot> snap = registry_.Snapshot();
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_ && cache_->generation == snap->generation()) return cache_;

  auto bodies = std::make_shared<Bodies>();
  bodies->generation = snap->generation();
  bodies->version = Dump(VersionJson(options_.version));

  Json api_versions = Json::array();
  if (const GroupInfo* core = snap->FindGroup("")) api_versions = core->versions;
  bodies->api[static_cast<size_t>(DiscoveryFormat::kLegacy)] = Dump(Json{
      {"kind", "APIVersions"},
      {"versions", std::move(api_versions)},
      {"serverAddressByClientCIDRs",
       Json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", options_.server_address}}})}});
  Json groups = Json::array();
  for (const GroupInfo& group : snap->groups()) {
    if (!group.name.empty()) groups.push_back(ApiGroupJson(group, false));
  }
  bodies->apis[static_cast<size_t>(DiscoveryFormat::kLegacy)] =
      Dump(Json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", std::move(groups)}});

  const std::pair<DiscoveryFormat, std::string_view> aggregated[] = {
      {DiscoveryFormat::kAggregatedV2, "apidiscovery.k8s.io/v2"},
      {DiscoveryFormat::kAggregatedV2Beta1, "apidiscovery.k8s.io/v2beta1"}};
  for (const auto& [format, api_version] : aggregated) {
    size_t i = static_cast<size_t>(format);
    bodies->api[i] = Dump(AggregatedJson(*snap, true, api_version));
    bodies->apis[i] = Dump(AggregatedJson(*snap, false, api_version));
    bodies->api_etag[i] = Etag(*bodies->api[i]);
    bodies->apis_etag[i] = Etag(*bodies->apis[i]);
  }

  for (const GroupInfo& group : snap->groups()) {
    if (!group.name.empty()) bodies->groups[group.name] = Dump(ApiGroupJson(group, true));
    for (const std::string& version : group.versions) {
      GroupVersion gv{group.name, version};
      bodies->resource_lists[group.name + "/" + version] =
          Dump(ResourceListJson(gv, snap->ResourcesOf(group.name, version)));
    }
  }
  cache_ = std::move(bodies);
  return cache_;
}

bool Discovery::IsDiscoveryPath(std::string_view path) {
  std::vector<std::string_view> seg = Segments(path);
  if (seg.empty() || std::find(seg.begin(), seg.end(), "") != seg.end()) return false;
  if (seg[0] == "version") return seg.size() == 1;
  if (seg[0] == "api") return seg.size() <= 2;
  if (seg[0] == "apis") return seg.size() <= 3;
  return false;
}

Result<ServedDocument> Discovery::Serve(std::string_view path, std::string_view accept) const {
  if (!IsDiscoveryPath(path)) return NotFoundError("not a discovery path: " + std::string(path));
  std::vector<std::string_view> seg = Segments(path);
  if (seg[0] == "version") return Version();
  if (seg[0] == "api") {
    if (seg.size() == 1) return Api(NegotiateDiscovery(accept).format);
    return ResourceList("", seg[1]);
  }
  if (seg.size() == 1) return Apis(NegotiateDiscovery(accept).format);
  if (seg.size() == 2) return Group(seg[1]);
  return ResourceList(seg[1], seg[2]);
}

ServedDocument Discovery::Version() const { return JsonDocument(Current()->version); }

ServedDocument Discovery::Api(DiscoveryFormat format) const {
  std::shared_ptr<const Bodies> bodies = Current();
  size_t i = static_cast<size_t>(format);
  return JsonDocument(bodies->api[i], ContentTypeFor(format), bodies->api_etag[i]);
}

ServedDocument Discovery::Apis(DiscoveryFormat format) const {
  std::shared_ptr<const Bodies> bodies = Current();
  size_t i = static_cast<size_t>(format);
  return JsonDocument(bodies->apis[i], ContentTypeFor(format), bodies->apis_etag[i]);
}

Result<ServedDocument> Discovery::ResourceList(std::string_view group,
                                               std::string_view version) const {
  std::shared_ptr<const Bodies> bodies = Current();
  std::string key = std::string(group) + "/" + std::string(version);
  auto it = bodies->resource_lists.find(key);
  if (it == bodies->resource_lists.end()) {
    return NotFoundError("the server could not find the requested resource (group-version " +
                         GroupVersion{std::string(group), std::string(version)}.ApiVersion() + ")");
  }
  return JsonDocument(it->second);
}

Result<ServedDocument> Discovery::Group(std::string_view group) const {
  std::shared_ptr<const Bodies> bodies = Current();
  auto it = bodies->groups.find(group);
  if (it == bodies->groups.end()) {
    return NotFoundError("the server could not find the requested resource (group " +
                         std::string(group) + ")");
  }
  return JsonDocument(it->second);
}

}  // namespace capstan::api
