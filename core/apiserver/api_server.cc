// ApiServer (api_server.h): set-up, the request pipeline (authn → authz → dispatch), replies,
// and the non-resource endpoints (/healthz, /version, discovery, OpenAPI, /metrics).
#include "core/apiserver/api_server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "core/api/conversion.h"
#include "core/api/openapi_patch_schema.h"
#include "core/api/openapi_v2_proto.h"
#include "core/apiserver/metrics_api.h"
#include "core/apiserver/namespace_lifecycle.h"
#include "core/apiserver/query_options.h"
#include "core/apiserver/table.h"
#include "core/patch/field_manager.h"
#include "core/patch/field_set.h"

namespace capstan::apiserver {
namespace {

std::string StorageKey(std::string_view group, std::string_view plural) {
  std::string k(group);
  k += '/';
  k += plural;
  return k;
}

NameRule NameRuleFor(const api::ResourceInfo& r) {
  if (r.group.empty() && (r.plural == "namespaces" || r.plural == "services")) {
    return NameRule::kDnsLabel;
  }
  if (r.group == "rbac.authorization.k8s.io") return NameRule::kPathSegment;
  return NameRule::kDnsSubdomain;
}

}  // namespace

const std::string* RequestContext::Query(std::string_view name) const {
  for (const auto& [k, v] : request().query.entries()) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string ForbiddenMessage(const UserInfo& user, const RequestInfo& info,
                             const std::string& reason) {
  std::string m;
  if (info.is_resource_request) {
    m = info.resource + (info.name.empty() ? "" : " \"" + info.name + "\"") +
        " is forbidden: User \"" + user.name + "\" cannot " + info.verb + " resource \"" +
        info.resource + (info.subresource.empty() ? "" : "/" + info.subresource) +
        "\" in API group \"" + info.api_group + "\"";
    m += info.namespace_name.empty() ? " at the cluster scope"
                                     : " in the namespace \"" + info.namespace_name + "\"";
  } else {
    m = "forbidden: User \"" + user.name + "\" cannot " + info.verb + " path \"" + info.path + "\"";
  }
  if (!reason.empty()) m += ": " + reason;
  return m;
}

ApiServer::ApiServer(store::Store* store, Authenticator* authn, Authorizer* authz,
                     Admission* admission, ApiServerOptions options)
    : store_(store),
      authn_(authn),
      authz_(authz),
      admission_(admission),
      options_(std::move(options)),
      workers_(static_cast<size_t>(std::max(1, options_.worker_threads))) {}

Result<std::unique_ptr<ApiServer>> ApiServer::Create(store::Store* store, Authenticator* authn,
                                                     Authorizer* authz, Admission* admission,
                                                     ApiServerOptions options) {
  std::unique_ptr<ApiServer> server(
      new ApiServer(store, authn, authz, admission, std::move(options)));
  CAPSTAN_RETURN_IF_ERROR(server->Init());
  return server;
}

Status ApiServer::Init() {
  registry_ = std::make_unique<api::Registry>(api::BuiltinResources());
  api::DiscoveryOptions dopts;
  dopts.server_address = options_.advertise_address;
  discovery_ = std::make_unique<api::Discovery>(*registry_, dopts);
  Result<std::filesystem::path> dir = api::FindOpenApiDir(options_.openapi_dir);
  if (!dir.ok()) return dir.status().WithContext("finding the OpenAPI documents");
  Result<std::unique_ptr<api::OpenApi>> openapi = api::OpenApi::Load(*dir, registry_.get());
  if (!openapi.ok()) return openapi.status().WithContext("loading the OpenAPI documents");
  openapi_ = std::move(*openapi);
  field_schemas_ = std::make_unique<api::FieldSchemaCache>(openapi_.get());
  hub_ = std::make_unique<CacheHub>(store_);
  CAPSTAN_RETURN_IF_ERROR(hub_->Start());
  for (const api::ResourceInfo& r : registry_->Snapshot()->resources()) {
    CAPSTAN_RETURN_IF_ERROR(AddStorage(r));
  }
  NodeProxyOptions proxy_options;
  proxy_options.client_cert_pem = options_.kubelet_client_cert_pem;
  proxy_options.client_key_pem = options_.kubelet_client_key_pem;
  Result<std::unique_ptr<NodeProxy>> proxy = NodeProxy::Create(std::move(proxy_options));
  if (!proxy.ok()) return proxy.status().WithContext("node proxy");
  node_proxy_ = std::move(*proxy);
  metrics_ = std::make_unique<MetricsApi>(this, registry_.get(), node_proxy_.get(),
                                          options_.metrics_resolution);
  CAPSTAN_RETURN_IF_ERROR(metrics_->Start());
  timer_thread_ = std::thread([this] {
    auto guard = boost::asio::make_work_guard(timers_);
    timers_.run();
  });
  return Status::Ok();
}

Status ApiServer::AddStorage(const api::ResourceInfo& r,
                             std::shared_ptr<ResourceStrategy> strategy) {
  std::string key = StorageKey(r.group, r.plural);
  std::unique_lock lock(storages_mu_);
  if (storages_.count(key) != 0) return Status::Ok();  // another version of the same resource
  if (!r.HasVerb("create") && !r.HasVerb("list")) return Status::Ok();  // virtual (reviews)
  StorageEntry entry;
  entry.fields = selector::SelectableFields::ForResource(r.group, r.plural, r.namespaced);
  WatchCache::Options copts;
  copts.prefix = ResourcePrefix(r.group, r.plural);
  std::vector<selector::SelectableField> extra;
  for (const selector::SelectableField& f : entry.fields.fields()) {
    if (f.name != "metadata.name" && f.name != "metadata.namespace") extra.push_back(f);
  }
  copts.extract = [extra](const nlohmann::json& obj, StringPairs* out) {
    std::string scratch;
    for (const selector::SelectableField& f : extra) {
      out->emplace_back(f.name, std::string(selector::SelectableFieldValue(obj, f, scratch)));
    }
  };
  copts.decoder = [extract = copts.extract](std::string_view k, std::string_view bytes,
                                            int64_t rev) {
    return DecodeStoredObject(k, bytes, rev, extract);
  };
  Result<WatchCache*> cache = hub_->AddResource(std::move(copts));
  if (!cache.ok()) return cache.status();
  ResourceInfo info;
  info.group = r.group;
  info.version = r.version;
  info.kind = r.kind;
  info.plural = r.plural;
  info.namespaced = r.namespaced;
  info.has_status = r.FindSubresource("status") != nullptr;
  info.name_rule = NameRuleFor(r);
  if (!strategy && options_.strategy_factory) strategy = options_.strategy_factory(r);
  entry.storage = std::make_unique<RestStorage>(info, std::move(strategy), store_, hub_.get(),
                                                *cache, options_.clock);
  storages_.emplace(std::move(key), std::move(entry));
  return Status::Ok();
}

ApiServer::~ApiServer() { Shutdown(); }

void ApiServer::Shutdown() {
  if (shut_down_.exchange(true)) return;
  workers_.join();
  EndWatches();
  if (metrics_) metrics_->Stop();
  if (node_proxy_) node_proxy_->Shutdown();
  timers_.stop();
  if (timer_thread_.joinable()) timer_thread_.join();
}

Status ApiServer::RegisterCustomResource(const api::ResourceInfo& resource,
                                         std::shared_ptr<ResourceStrategy> strategy) {
  Status registered = registry_->Register(resource);
  if (!registered.ok() && registered.code() != StatusCode::kAlreadyExists) return registered;
  return AddStorage(resource, std::move(strategy));
}

Status ApiServer::UnregisterCustomResource(std::string_view group, std::string_view version,
                                           std::string_view plural) {
  return registry_->Unregister(group, version, plural);
}

RestStorage* ApiServer::StorageFor(std::string_view group, std::string_view plural) const {
  std::shared_lock lock(storages_mu_);
  auto it = storages_.find(StorageKey(group, plural));
  return it == storages_.end() ? nullptr : it->second.storage.get();
}

void ApiServer::Handle(std::shared_ptr<HttpExchange> exchange) {
  if (shut_down_.load()) {
    exchange->Respond(503, {{"Content-Type", "application/json"}},
                      FailureStatus(UnavailableError("the server is shutting down")).dump());
    return;
  }
  boost::asio::post(workers_, [this, ex = std::move(exchange)]() { Serve(ex); });
}

void ApiServer::ReplyJson(const RequestContext& ctx, int status, std::string body,
                          std::string_view content_type) {
  HttpHeaders headers = {{"Content-Type", std::string(content_type)}};
  headers.insert(headers.end(), ctx.response_headers.begin(), ctx.response_headers.end());
  ctx.exchange->Respond(status, std::move(headers), std::move(body));
}

void ApiServer::ReplyError(const RequestContext& ctx, const Status& status,
                           const StatusDetails& details) {
  HttpHeaders headers = {{"Content-Type", "application/json"}};
  if (details.retry_after_seconds > 0) {
    headers.emplace_back("Retry-After", std::to_string(details.retry_after_seconds));
  }
  headers.insert(headers.end(), ctx.response_headers.begin(), ctx.response_headers.end());
  ctx.exchange->Respond(HttpStatus(status.code()), std::move(headers),
                        FailureStatus(status, details).dump());
}

void ApiServer::ReplyApiError(const RequestContext& ctx, const ApiError& error) {
  StatusDetails details = error.details;
  if (details.kind == "$cas") details.kind = ctx.info.resource;
  ReplyError(ctx, error.status, details);
}

bool ApiServer::Converts(const RequestContext& ctx) {
  return ctx.resource != nullptr &&
         api::NeedsConversion(ctx.resource->group, ctx.resource->plural, ctx.resource->version);
}

void ApiServer::ReplyObject(const RequestContext& ctx, int status,
                            const nlohmann::json& object) const {
  std::string_view accept = ctx.request().Header("accept").value_or("");
  const bool own_kind = ctx.resource != nullptr && object.value("kind", "") == ctx.resource->kind;
  if (own_kind && Converts(ctx) && accept.find("as=Table") == std::string_view::npos) {
    nlohmann::json served = object;
    api::FromStorageVersion(ctx.resource->group, ctx.resource->plural, ctx.resource->version,
                            &served);
    ReplyJson(ctx, status, served.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  if (accept.find("as=Table") != std::string_view::npos && own_kind) {
    IncludeObject include =
        ParseIncludeObject(ctx.Query("includeObject") ? *ctx.Query("includeObject") : "");
    nlohmann::json table = BuildTable(ctx.resource->group, ctx.resource->kind, {object}, include,
                                      NowMs(), object["metadata"].value("resourceVersion", ""), "");
    ReplyJson(ctx, status, table.dump(), "application/json;as=Table;v=v1;g=meta.k8s.io");
    return;
  }
  ReplyJson(ctx, status, object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void ApiServer::ReplyWritten(const RequestContext& ctx, int status, WriteResult& written) const {
  std::string_view accept = ctx.request().Header("accept").value_or("");
  if (written.served_json.empty() || accept.find("as=Table") != std::string_view::npos ||
      Converts(ctx)) {
    ReplyObject(ctx, status, written.object);
    return;
  }
  ReplyJson(ctx, status, std::move(written.served_json));
}

void ApiServer::Serve(const std::shared_ptr<HttpExchange>& exchange) {
  ++requests_total_;
  RequestContext ctx;
  ctx.exchange = exchange;
  const HttpRequest& req = exchange->request();
  const bool watch = QueryBool(req.query.Get("watch"));
  ctx.info = ParseRequestInfo(req.method, req.path, watch);

  UserInfo anonymous;
  anonymous.name = "system:anonymous";
  anonymous.groups = {"system:unauthenticated"};
  Result<UserInfo> user =
      authn_ != nullptr ? authn_->Authenticate(req) : Result<UserInfo>(anonymous);
  if (!user.ok()) {
    ReplyError(ctx, Status(StatusCode::kUnauthenticated, "Unauthorized"));
    return;
  }
  ctx.user = std::move(*user);
  if (authz_ != nullptr) {
    Status allowed = authz_->Authorize(ctx.user, ctx.info);
    if (!allowed.ok()) {
      StatusDetails details{ctx.info.name, ctx.info.api_group, ctx.info.resource, "", {}, 0};
      ReplyError(ctx, ForbiddenError(ForbiddenMessage(ctx.user, ctx.info, allowed.message())),
                 details);
      return;
    }
  }
  if (!ctx.info.is_resource_request) {
    if (!ServeNonResource(ctx)) {
      ReplyError(ctx, NotFoundError("the server could not find the requested resource"));
    }
    return;
  }
  ServeResource(ctx);
}

bool ApiServer::ServeNonResource(RequestContext& ctx) {
  const HttpRequest& req = ctx.request();
  const std::string& path = req.path;
  if (path == "/healthz" || path == "/livez" || path == "/readyz" ||
      path.rfind("/healthz/", 0) == 0 || path.rfind("/livez/", 0) == 0 ||
      path.rfind("/readyz/", 0) == 0) {
    ReplyJson(ctx, 200, "ok", "text/plain; charset=utf-8");
    return true;
  }
  if (path == "/metrics") {
    std::string body =
        "# HELP apiserver_request_total Requests served.\n"
        "# TYPE apiserver_request_total counter\n"
        "apiserver_request_total " +
        std::to_string(requests_total_.load()) +
        "\n"
        "# HELP capstan_store_revision Current store revision.\n"
        "# TYPE capstan_store_revision gauge\n"
        "capstan_store_revision " +
        std::to_string(store_->CurrentRevision()) + "\n";
    ReplyJson(ctx, 200, std::move(body), "text/plain; version=0.0.4");
    return true;
  }
  std::string_view accept = req.Header("accept").value_or("");
  Result<api::ServedDocument> doc = NotFoundError("");
  if (api::Discovery::IsDiscoveryPath(path)) {
    doc = discovery_->Serve(path, accept);
  } else if (path == "/openapi/v2") {
    // JSON, or gnostic protobuf for kubectl's client-side validation, as Accept asks.
    doc = api::SharedOpenApiV2ProtoCache().Serve(*openapi_, accept);
  } else if (api::OpenApi::IsOpenApiPath(path)) {
    doc = openapi_->Serve(path, req.query.Get("hash").value_or(""), accept);
  } else {
    return false;
  }
  if (!doc.ok()) {
    if (doc.status().code() == StatusCode::kNotFound) return false;
    ReplyError(ctx, doc.status());
    return true;
  }
  HttpHeaders headers = {{"Content-Type", doc->content_type}};
  if (!doc->etag.empty()) headers.emplace_back("ETag", doc->etag);
  if (!doc->cache_control.empty()) headers.emplace_back("Cache-Control", doc->cache_control);
  if (!doc->location.empty()) headers.emplace_back("Location", doc->location);
  ctx.exchange->Respond(doc->http_status, std::move(headers), doc->body ? *doc->body : "");
  return true;
}

void ApiServer::ServeResource(RequestContext& ctx) {
  const RequestInfo& info = ctx.info;
  ctx.resource = registry_->Find(info.api_group, info.api_version, info.resource);
  if (!ctx.resource) {
    ReplyError(ctx, NotFoundError("the server could not find the requested resource"));
    return;
  }
  if (!ctx.resource->namespaced && !info.namespace_name.empty() && info.resource != "namespaces") {
    ReplyError(ctx, NotFoundError("the server could not find the requested resource"));
    return;
  }
  if (MetricsApi::Serves(*ctx.resource)) return metrics_->Serve(ctx);
  {
    std::shared_lock lock(storages_mu_);
    auto entry = storages_.find(StorageKey(ctx.resource->group, ctx.resource->plural));
    if (entry != storages_.end()) {
      ctx.storage = entry->second.storage.get();
      ctx.fields = &entry->second.fields;
    }
  }
  const std::string& sub = info.subresource;
  // PUT namespaces/<name>/finalize is an update of spec.finalizers (namespace_lifecycle.h).
  const bool finalize = sub == kFinalizeSubresource && info.verb == "update";
  if (!sub.empty() && sub != "status" && !finalize) {
    if (ctx.resource->FindSubresource(sub) == nullptr) {
      ReplyError(ctx, NotFoundError("the server could not find the requested resource"));
      return;
    }
    if (sub == "scale") return Scale(ctx);
    if (sub == "binding") return Binding(ctx);
    if (sub == "eviction") return Eviction(ctx);
    if (ctx.resource->group.empty() && ctx.resource->plural == "pods" &&
        (sub == "log" || sub == "exec" || sub == "attach" || sub == "portforward")) {
      return NodeStream(ctx);
    }
    ReplyError(ctx, Status(StatusCode::kMethodNotAllowed,
                           "the " + sub + " subresource is not served yet"));
    return;
  }
  if (ctx.storage == nullptr) {
    ReplyError(ctx, Status(StatusCode::kMethodNotAllowed,
                           "the server does not allow this method on the requested resource"));
    return;
  }
  const std::string& verb = info.verb;
  if (verb == "get") return Get(ctx);
  if (verb == "list") return List(ctx);
  if (verb == "watch") return Watch(ctx);
  if (verb == "create") return Create(ctx);
  if (verb == "update") return Update(ctx);
  if (verb == "patch") return Patch(ctx);
  if (verb == "delete") return Delete(ctx);
  if (verb == "deletecollection") return DeleteCollection(ctx);
  ReplyError(ctx, Status(StatusCode::kMethodNotAllowed,
                         "the server does not allow this method on the requested resource"));
}

WriteContext ApiServer::MakeWriteContext(const RequestContext& ctx, bool dry_run,
                                         std::string field_manager) const {
  WriteContext w;
  w.user = ctx.user.name;
  w.field_manager = std::move(field_manager);
  w.dry_run = dry_run;
  w.admission = admission_;
  if (ctx.resource != nullptr) {
    std::shared_ptr<const patch::PatchSchema> schema = PatchSchemaFor(*ctx.resource);
    bool has_status = ctx.resource->FindSubresource("status") != nullptr;
    w.track_fields = [schema, manager = w.field_manager, api_version = ctx.resource->ApiVersion(),
                      now = FormatRfc3339(NowMs()),
                      has_status](const nlohmann::json* live, nlohmann::json obj,
                                  std::string_view subresource) {
      // The main resource of a kind with a status subresource does not own status fields.
      static const patch::FieldSet kStatus = patch::FieldSet::OfFields({"status"});
      patch::WriteOptions o{manager, api_version, subresource, now,
                            has_status && subresource.empty() ? &kStatus : nullptr};
      return patch::UpdateManagedFields(live ? *live : nlohmann::json(), std::move(obj), o,
                                        *schema);
    };
  }
  return w;
}

Status ApiServer::CheckNamespaceForCreate(const RequestContext& ctx) const {
  if (!ctx.resource->namespaced) return Status::Ok();
  RestStorage* namespaces = StorageFor("", "namespaces");
  if (namespaces == nullptr) return Status::Ok();
  ApiResult<CachedObjectPtr> ns = namespaces->Get("", ctx.info.namespace_name);
  if (auto* e = std::get_if<ApiError>(&ns)) {
    if (e->status.code() == StatusCode::kNotFound) {
      return NotFoundError("namespaces \"" + ctx.info.namespace_name + "\" not found");
    }
    return e->status;
  }
  const CachedObjectPtr& obj = std::get<CachedObjectPtr>(ns);
  if (obj->json.find("\"deletionTimestamp\"") != std::string::npos) {
    return ForbiddenError("unable to create new content in namespace " + ctx.info.namespace_name +
                          " because it is being terminated");
  }
  return Status::Ok();
}

}  // namespace capstan::apiserver
