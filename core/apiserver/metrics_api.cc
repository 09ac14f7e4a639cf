// MetricsApi (metrics_api.h): NodeMetrics / PodMetrics objects from the scraper's usage, for
// the nodes and pods of the API server's own caches that pass the request's selectors.
#include "core/apiserver/metrics_api.h"

#include <cstdio>
#include <utility>

#include "core/apiserver/api_server.h"
#include "core/apiserver/object_meta.h"
#include "core/selector/field_selector.h"
#include "core/selector/label_selector.h"

namespace capstan::apiserver {
namespace {

using nlohmann::json;

// A Go time.Duration string, as metav1.Duration prints: "1s", "1.5s", "1m0.25s".
std::string GoDuration(int64_t ms) {
  std::string out;
  if (ms >= 60'000) {
    out = std::to_string(ms / 60'000) + "m";
    ms %= 60'000;
  }
  char buf[32];
  if (ms % 1000 == 0) {
    std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(ms / 1000));
  } else {
    std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000));
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    return out + s + "s";
  }
  return out + buf;
}

json Metadata(const CachedObject& o, bool namespaced, int64_t now_ms) {
  json labels = json::object();
  for (const auto& [k, v] : o.labels) labels[k] = v;
  json meta = {{"name", o.name}, {"creationTimestamp", FormatRfc3339(now_ms)}};
  if (namespaced) meta["namespace"] = o.namespace_name;
  if (!labels.empty()) meta["labels"] = std::move(labels);
  return meta;
}

json UsageJson(const Usage& u) {
  return {{"cpu", CpuQuantity(u.nanocores)}, {"memory", MemoryQuantity(u.memory_bytes)}};
}

// Label and field selectors of a list, matched against cached objects.
struct Selectors {
  selector::LabelSelector labels;
  selector::FieldSelector fields;

  bool Matches(const CachedObject& o) const {
    if (!labels.Empty() &&
        !labels.Matches([&o](std::string_view key) -> std::optional<std::string_view> {
          const std::string* v = o.Label(key);
          if (v == nullptr) return std::nullopt;
          return std::string_view(*v);
        })) {
      return false;
    }
    return fields.Matches([&o](std::string_view path) -> std::string_view {
      const std::string* v = o.Field(path);
      return v == nullptr ? std::string_view() : std::string_view(*v);
    });
  }
};

Result<Selectors> ParseSelectors(const RequestContext& ctx) {
  Selectors s;
  if (const std::string* l = ctx.Query("labelSelector")) {
    Result<selector::LabelSelector> parsed = selector::LabelSelector::Parse(*l);
    if (!parsed.ok()) return BadRequestError(parsed.status().message());
    s.labels = std::move(*parsed);
  }
  if (const std::string* f = ctx.Query("fieldSelector")) {
    Result<selector::FieldSelector> parsed = selector::FieldSelector::Parse(*f);
    if (!parsed.ok()) return BadRequestError(parsed.status().message());
    for (const selector::FieldRequirement& r : parsed->requirements()) {
      if (r.field != "metadata.name" && r.field != "metadata.namespace") {
        return BadRequestError("field label not supported: " + r.field);
      }
    }
    s.fields = std::move(*parsed);
  }
  return s;
}

std::vector<CachedObjectPtr> ListCached(RestStorage* storage, const std::string& ns) {
  if (storage == nullptr) return {};
  return storage->cache()
      ->List(storage->CollectionPrefix(ns), "", 0, [](const CachedObject&) { return true; })
      .items;
}

bool NodeReady(const json& node) {
  const json status = node.value("status", json::object());
  const json conditions = status.is_object() ? status.value("conditions", json::array()) : json();
  if (!conditions.is_array()) return false;
  for (const json& c : conditions) {
    if (c.is_object() && c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

void ReplyNotFound(const RequestContext& ctx, const std::string& resource,
                   const std::string& name) {
  StatusDetails details;
  details.name = name;
  details.group = kMetricsGroup;
  details.kind = resource;
  ApiServer::ReplyError(
      ctx, NotFoundError(resource + "." + kMetricsGroup + " \"" + name + "\" not found"), details);
}

}  // namespace

api::ResourceInfo NodeMetricsResource() {
  api::ResourceInfo r;
  r.group = kMetricsGroup;
  r.version = kMetricsVersion;
  r.kind = "NodeMetrics";
  r.plural = "nodes";
  r.singular = "";
  r.namespaced = false;
  r.verbs = {"get", "list"};
  return r;
}

api::ResourceInfo PodMetricsResource() {
  api::ResourceInfo r = NodeMetricsResource();
  r.kind = "PodMetrics";
  r.plural = "pods";
  r.namespaced = true;
  return r;
}

MetricsApi::MetricsApi(ApiServer* server, api::Registry* registry, NodeProxy* proxy,
                       std::chrono::milliseconds resolution)
    : server_(server), registry_(registry), proxy_(proxy), resolution_(resolution) {}

MetricsApi::~MetricsApi() { Stop(); }

Status MetricsApi::Start() {
  for (api::ResourceInfo r : {NodeMetricsResource(), PodMetricsResource()}) {
    CAPSTAN_RETURN_IF_ERROR(registry_->Register(std::move(r)));
  }
  if (resolution_.count() <= 0) return Status::Ok();
  MetricsScraperOptions o;
  o.resolution = resolution_;
  o.proxy = proxy_;
  o.list_targets = [this] { return ReadyNodes(); };
  Result<std::unique_ptr<MetricsScraper>> scraper = MetricsScraper::Start(std::move(o));
  if (!scraper.ok()) return scraper.status();
  scraper_ = std::move(*scraper);
  return Status::Ok();
}

void MetricsApi::Stop() {
  if (scraper_ != nullptr) scraper_->Stop();
}

std::vector<ScrapeTarget> MetricsApi::ReadyNodes() const {
  std::vector<ScrapeTarget> out;
  for (const CachedObjectPtr& o : ListCached(server_->StorageFor("", "nodes"), "")) {
    json node = json::parse(o->json, nullptr, false);
    if (node.is_discarded() || !NodeReady(node)) continue;
    Result<std::string> endpoint = AgentEndpoint(node);
    if (endpoint.ok()) out.push_back({o->name, std::move(*endpoint)});
  }
  return out;
}

void MetricsApi::Serve(RequestContext& ctx) const {
  const std::string& verb = ctx.info.verb;
  if ((verb != "get" && verb != "list") || !ctx.info.subresource.empty()) {
    ApiServer::ReplyError(ctx, Status(StatusCode::kMethodNotAllowed,
                                      "the server does not allow this method on the requested "
                                      "resource"));
    return;
  }
  if (ctx.resource->plural == "nodes") return ServeNodes(ctx);
  ServePods(ctx);
}

void MetricsApi::ServeNodes(RequestContext& ctx) const {
  int64_t now = SystemClockMs();
  RestStorage* nodes = server_->StorageFor("", "nodes");
  auto item = [&](const CachedObject& o) -> std::optional<json> {
    std::optional<Usage> u = scraper_ ? scraper_->NodeUsage(o.name) : std::nullopt;
    if (!u) return std::nullopt;
    return json{{"kind", "NodeMetrics"},
                {"apiVersion", "metrics.k8s.io/v1beta1"},
                {"metadata", Metadata(o, false, now)},
                {"timestamp", FormatRfc3339(u->timestamp_ms)},
                {"window", GoDuration(u->window_ms)},
                {"usage", UsageJson(*u)}};
  };
  if (ctx.info.verb == "get") {
    CachedObjectPtr o =
        nodes != nullptr ? nodes->cache()->Get(nodes->Key("", ctx.info.name)) : nullptr;
    std::optional<json> j = o ? item(*o) : std::nullopt;
    if (!j) return ReplyNotFound(ctx, "nodemetrics", ctx.info.name);
    return ApiServer::ReplyJson(ctx, 200, j->dump());
  }
  Result<Selectors> sel = ParseSelectors(ctx);
  if (!sel.ok()) return ApiServer::ReplyError(ctx, sel.status());
  json items = json::array();
  for (const CachedObjectPtr& o : ListCached(nodes, "")) {
    if (!sel->Matches(*o)) continue;
    if (std::optional<json> j = item(*o)) items.push_back(std::move(*j));
  }
  json list = {{"kind", "NodeMetricsList"},
               {"apiVersion", "metrics.k8s.io/v1beta1"},
               {"metadata", json::object()},
               {"items", std::move(items)}};
  ApiServer::ReplyJson(ctx, 200, list.dump());
}

void MetricsApi::ServePods(RequestContext& ctx) const {
  int64_t now = SystemClockMs();
  RestStorage* pods = server_->StorageFor("", "pods");
  auto item = [&](const CachedObject& o) -> std::optional<json> {
    if (scraper_ == nullptr) return std::nullopt;
    std::vector<MetricsScraper::ContainerUsage> usage =
        scraper_->PodUsage(o.namespace_name, o.name);
    if (usage.empty()) return std::nullopt;
    json containers = json::array();
    int64_t ts = 0;
    int64_t window = 0;
    for (const MetricsScraper::ContainerUsage& c : usage) {
      containers.push_back({{"name", c.name}, {"usage", UsageJson(c.usage)}});
      ts = std::max(ts, c.usage.timestamp_ms);
      window = std::max(window, c.usage.window_ms);
    }
    return json{{"kind", "PodMetrics"},
                {"apiVersion", "metrics.k8s.io/v1beta1"},
                {"metadata", Metadata(o, true, now)},
                {"timestamp", FormatRfc3339(ts)},
                {"window", GoDuration(window)},
                {"containers", std::move(containers)}};
  };
  const std::string& ns = ctx.info.namespace_name;
  if (ctx.info.verb == "get") {
    CachedObjectPtr o =
        pods != nullptr ? pods->cache()->Get(pods->Key(ns, ctx.info.name)) : nullptr;
    std::optional<json> j = o ? item(*o) : std::nullopt;
    if (!j) return ReplyNotFound(ctx, "podmetrics", ns + "/" + ctx.info.name);
    return ApiServer::ReplyJson(ctx, 200, j->dump());
  }
  Result<Selectors> sel = ParseSelectors(ctx);
  if (!sel.ok()) return ApiServer::ReplyError(ctx, sel.status());
  json items = json::array();
  for (const CachedObjectPtr& o : ListCached(pods, ns)) {
    if (!sel->Matches(*o)) continue;
    if (std::optional<json> j = item(*o)) items.push_back(std::move(*j));
  }
  json list = {{"kind", "PodMetricsList"},
               {"apiVersion", "metrics.k8s.io/v1beta1"},
               {"metadata", json::object()},
               {"items", std::move(items)}};
  ApiServer::ReplyJson(ctx, 200, list.dump());
}

}  // namespace capstan::apiserver
