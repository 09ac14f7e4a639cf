// `ApiServer`: the Kubernetes REST API over the HTTP layer (http_server.h). It authenticates and
// authorizes every request, serves discovery and OpenAPI (core/api), and dispatches resource
// requests to one `RestStorage` per resource; reads come from the watch caches. Reads are in
// api_reads.cc, writes in api_writes.cc, subresources in api_subresources.cc (node streams
// through node_proxy.h), the rest here.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/api/discovery.h"
#include "core/api/field_schema.h"
#include "core/api/openapi.h"
#include "core/api/resource.h"
#include "core/apiserver/auth.h"
#include "core/apiserver/cache_hub.h"
#include "core/apiserver/http_exchange.h"
#include "core/apiserver/node_proxy.h"
#include "core/apiserver/rest_storage.h"
#include "core/patch/patch_schema.h"
#include "core/selector/selectable_fields.h"
#include "core/store/store.h"

namespace capstan::apiserver {

struct ApiServerOptions {
  // Where the upstream OpenAPI documents are; empty: api::FindOpenApiDir's search.
  std::string openapi_dir;
  // host:port reported in discovery (`serverAddressByClientCIDRs`).
  std::string advertise_address = "127.0.0.1:6443";
  // Threads that run request handlers (they block on durable writes; a fixed pool, never one
  // per request).
  int worker_threads = 16;
  // Watches end after this many seconds when the client gave no timeoutSeconds.
  int64_t default_watch_timeout_seconds = 1800;
  int64_t bookmark_interval_ms = 60000;
  // Makes per-resource strategies (defaulting, validation, allocation); null: none.
  std::function<std::shared_ptr<ResourceStrategy>(const api::ResourceInfo&)> strategy_factory;
  Clock clock = SystemClockMs;
  // The client certificate and key (PEM) presented to node agents for pods/log, exec, attach
  // and portforward (core/pki's kubelet-client). Empty: none, so agents refuse those requests.
  std::string kubelet_client_cert_pem;
  std::string kubelet_client_key_pem;
  // How often the metrics API (metrics_api.h) scrapes every Ready node's agent; 0 serves the
  // metrics.k8s.io group with no scraper (every object "not available yet").
  std::chrono::milliseconds metrics_resolution{15'000};
};

class ApiServer;
class MetricsApi;
struct WatchSession;  // one open watch (api_reads.cc)

// What one request handler needs, resolved once by the dispatcher.
struct RequestContext {
  std::shared_ptr<HttpExchange> exchange;
  RequestInfo info;
  UserInfo user;
  std::shared_ptr<const api::ResourceInfo> resource;  // null for non-resource requests
  RestStorage* storage = nullptr;
  const selector::SelectableFields* fields = nullptr;

  // Added to whatever reply the handler sends (e.g. `Warning` headers for dropped fields).
  HttpHeaders response_headers;

  const HttpRequest& request() const { return exchange->request(); }
  // The first value of a query parameter, or null. The pointer lives as long as the request.
  const std::string* Query(std::string_view name) const;
};

// Thread-safe. Handle() may be called from any io thread; work runs on the worker pool.
class ApiServer {
 public:
  // `store`, `authn`, `authz` and `admission` (may be null) are borrowed and must outlive the
  // server. Errors: the OpenAPI documents cannot be found; the caches cannot be primed.
  static Result<std::unique_ptr<ApiServer>> Create(store::Store* store, Authenticator* authn,
                                                   Authorizer* authz, Admission* admission,
                                                   ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // The HttpHandler: queues the exchange for a worker.
  void Handle(std::shared_ptr<HttpExchange> exchange);
  // Ends open watches (their streams close) and stops the workers. Idempotent.
  void Shutdown();

  const api::Registry& registry() const { return *registry_; }
  CacheHub& hub() { return *hub_; }
  // The storage of a built-in or registered resource, or null. Storages are never destroyed
  // while the server runs, so the pointer stays valid.
  RestStorage* StorageFor(std::string_view group, std::string_view plural) const;
  api::OpenApi& openapi() { return *openapi_; }

  // Serves a custom resource (a CRD's version): registers it for discovery and creates its
  // storage and cache, with `strategy` for validation/pruning/defaulting (may be null). A second
  // call for the same group/plural with another version shares the storage. Errors: those of
  // api::Registry::Register.
  Status RegisterCustomResource(const api::ResourceInfo& resource,
                                std::shared_ptr<ResourceStrategy> strategy);
  // Stops serving a custom resource version (discovery and routing). Its stored objects stay
  // until deleted. Errors: kNotFound; kForbidden for built-ins.
  Status UnregisterCustomResource(std::string_view group, std::string_view version,
                                  std::string_view plural);

  // Replies (used by the per-verb files).
  static void ReplyJson(const RequestContext& ctx, int status, std::string body,
                        std::string_view content_type = "application/json");
  static void ReplyError(const RequestContext& ctx, const Status& status,
                         const StatusDetails& details = {});
  static void ReplyApiError(const RequestContext& ctx, const ApiError& error);
  void ReplyObject(const RequestContext& ctx, int status, const nlohmann::json& object) const;
  // ReplyObject for a write's result, reusing its served bytes when it has them.
  void ReplyWritten(const RequestContext& ctx, int status, WriteResult& written) const;
  // Whether objects of the request's resource are stored in another version than requested
  // (core/api/conversion.h); then replies convert what they send.
  static bool Converts(const RequestContext& ctx);

 private:
  ApiServer(store::Store* store, Authenticator* authn, Authorizer* authz, Admission* admission,
            ApiServerOptions options);
  Status Init();
  Status AddStorage(const api::ResourceInfo& resource,
                    std::shared_ptr<ResourceStrategy> strategy = nullptr);
  void Serve(const std::shared_ptr<HttpExchange>& exchange);
  bool ServeNonResource(RequestContext& ctx);
  void ServeResource(RequestContext& ctx);

  // api_reads.cc
  void Get(RequestContext& ctx);
  void List(RequestContext& ctx);
  void Watch(RequestContext& ctx);
  // Remembers a streaming watch so that Shutdown() can end it; ends them all (api_reads.cc).
  void TrackWatch(const std::shared_ptr<WatchSession>& session);
  void EndWatches();
  // api_writes.cc
  void Create(RequestContext& ctx);
  void Update(RequestContext& ctx);
  void Patch(RequestContext& ctx);
  void Delete(RequestContext& ctx);
  void DeleteCollection(RequestContext& ctx);
  // api_subresources.cc
  void Scale(RequestContext& ctx);
  void Binding(RequestContext& ctx);
  void Eviction(RequestContext& ctx);
  // pods/log, exec, attach, portforward: proxied to the pod's node agent (node_proxy.h).
  void NodeStream(RequestContext& ctx);
  Status CheckNamespaceForCreate(const RequestContext& ctx) const;
  std::shared_ptr<const patch::PatchSchema> PatchSchemaFor(const api::ResourceInfo& resource) const;
  // The known fields of a built-in request's body (`fieldValidation`), or null for custom
  // resources, subresources of another kind and kinds without an upstream schema. The node lives
  // as long as the server.
  const api::FieldNode* KnownFieldsFor(const RequestContext& ctx) const;

  WriteContext MakeWriteContext(const RequestContext& ctx, bool dry_run,
                                std::string field_manager) const;
  int64_t NowMs() const { return options_.clock(); }

  store::Store* store_;
  Authenticator* authn_;
  Authorizer* authz_;
  Admission* admission_;
  ApiServerOptions options_;
  std::unique_ptr<api::Registry> registry_;
  std::unique_ptr<api::Discovery> discovery_;
  std::unique_ptr<api::OpenApi> openapi_;
  std::unique_ptr<api::FieldSchemaCache> field_schemas_;
  std::unique_ptr<CacheHub> hub_;
  std::unique_ptr<NodeProxy> node_proxy_;
  std::unique_ptr<MetricsApi> metrics_;  // metrics.k8s.io (metrics_api.h)
  struct StorageEntry {
    std::unique_ptr<RestStorage> storage;
    selector::SelectableFields fields;
  };
  mutable std::shared_mutex storages_mu_;  // guards `storages_` (the map, not the storages)
  std::map<std::string, StorageEntry, std::less<>> storages_;  // "group/plural"
  boost::asio::thread_pool workers_;
  boost::asio::io_context timers_;
  std::thread timer_thread_;
  std::atomic<bool> shut_down_{false};
  std::mutex watches_mu_;  // guards `watches_`
  // Watches, ended by Shutdown(): over HTTPS the HTTP server's Stop ends them first, but
  // in-process clients (local_api_client.h) have no server in between.
  std::vector<std::weak_ptr<WatchSession>> watches_;
  std::atomic<int64_t> requests_total_{0};
};

}  // namespace capstan::apiserver
