// `ApiClient`: the HTTPS client of the Capstan (Kubernetes) API that every in-cluster component
// uses — blocking requests over a keep-alive connection pool, JSON convenience verbs with
// Kubernetes errors mapped to `capstan::Status`, and streaming watches. Partners: kubeconfig.h
// (where a `ClientConfig` comes from), api_status.h (error mapping), informer.h (list+watch
// cache on top). Implementation: api_client.cc, client_connection.cc, client_watch.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/client/kubeconfig.h"
#include "core/common/status.h"

namespace capstan::client {

struct ApiClientOptions {
  // Threads that run all network I/O of this client (a fixed pool: never one per request).
  int io_threads = 2;
  // Pooled keep-alive connections open at once, idle or busy. A request that finds none idle and
  // the pool full waits for one to be released. Watches use their own connections, outside it.
  int max_connections = 8;
  // Used when a call passes a zero timeout.
  std::chrono::milliseconds default_timeout{30'000};
  // An idle pooled connection older than this is closed rather than reused (servers close idle
  // connections after a while; capstan's after 90 s).
  std::chrono::milliseconds max_idle{60'000};
  std::string user_agent = "capstan-client";
};

// One HTTP response, fully read.
struct ApiResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

enum class WatchEventType : uint8_t { kAdded, kModified, kDeleted, kBookmark, kError };

// "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR".
std::string_view WatchEventTypeName(WatchEventType type);

// Receives one watch event: the type and the event's `object` (for kError a metav1.Status),
// parsed once and shared. Called serially for one watch (never concurrently with itself or with
// the same watch's `WatchEndCallback`) on one of the client's io threads: it must not block for
// long. It may call `WatchHandle::Stop()` on its own watch.
using WatchEventCallback =
    std::function<void(WatchEventType type, std::shared_ptr<const nlohmann::json> object)>;
// Called once when a watch ends by itself: OK when the server ended the stream cleanly (e.g. its
// timeoutSeconds passed); otherwise why it failed — the mapped Status of a non-200 response,
// kUnavailable for connection errors, kBadRequest for a line that is not a JSON event. Not
// called after `WatchHandle::Stop()` has returned.
using WatchEndCallback = std::function<void(const Status& status)>;

// Handle of one running watch. Destroying it stops the watch.
class WatchHandle {
 public:
  virtual ~WatchHandle() = default;
  // Ends the watch: closes its connection. When called outside the watch's callbacks, returns
  // only once no callback of this watch is running and none will run again. Called from inside
  // one of its callbacks it does not wait (nothing runs after that callback returns).
  // Idempotent; thread-safe.
  virtual void Stop() = 0;
  // True once the watch has ended (by itself or by Stop()).
  virtual bool Done() const = 0;
};

// Thread-safe: any number of threads may call any method at once. Blocking methods wait on a
// future that an io thread completes; they must not be called from a watch callback (it runs on
// an io thread, and a pool of 2 could deadlock) — hand such work to another thread.
// Destroying the client stops its watches and closes its connections; it must outlive every
// WatchHandle it returned and must not be destroyed while calls are in flight.
class ApiClient {
 public:
  // Errors: kInvalid when the config has no CA, a malformed URL or half a client certificate;
  // kBadRequest when the CA, certificate or key PEM does not load in OpenSSL.
  static Result<std::unique_ptr<ApiClient>> Create(const ClientConfig& config,
                                                   ApiClientOptions options = {});
  // LoadKubeconfig(path) then Create.
  static Result<std::unique_ptr<ApiClient>> FromKubeconfig(const std::string& path,
                                                           ApiClientOptions options = {});
  virtual ~ApiClient() = default;

  // Sends one request and reads the whole response. `path` is absolute with its query string
  // ("/api/v1/namespaces/default/pods?limit=10"); `content_type` is sent when `body` is not
  // empty. Any HTTP status is a successful result: the caller inspects `status`.
  // Connection handling: reuses an idle pooled connection when one is alive, else opens one
  // (verifying the server certificate against the CA and its name); a reused connection that
  // turns out broken is dropped and the request is retried once on a fresh one when the method
  // is idempotent (GET, HEAD, PUT, DELETE, OPTIONS).
  // Errors: kTimeout when `timeout` (zero: the default) passes before the response is complete;
  // kUnavailable for connect/TLS/transport errors (the message says which, e.g. "certificate
  // verify failed"); kCancelled when the client is being destroyed.
  virtual Result<ApiResponse> Request(std::string_view method, std::string_view path,
                                      std::string_view content_type, std::string body,
                                      std::chrono::milliseconds timeout = {}) = 0;

  // JSON verbs: the parsed response body on 2xx; otherwise the response mapped by
  // `StatusFromResponse` (api_status.h): 404 kNotFound, 409 kAlreadyExists or kConflict (by the
  // metav1.Status reason), 422 kInvalid, 410 kGone, 403 kForbidden, ... with the server's
  // message. Transport errors as for Request. kInternal when a 2xx body is not JSON.
  Result<nlohmann::json> Get(std::string_view path, std::chrono::milliseconds timeout = {});
  // POST `object` to the collection `path`.
  Result<nlohmann::json> Create(std::string_view path, const nlohmann::json& object,
                                std::chrono::milliseconds timeout = {});
  // PUT `object` (with metadata.resourceVersion for compare-and-swap) to the object `path`.
  Result<nlohmann::json> Update(std::string_view path, const nlohmann::json& object,
                                std::chrono::milliseconds timeout = {});
  // PATCH with `patch_content_type`: "application/merge-patch+json",
  // "application/strategic-merge-patch+json", "application/json-patch+json" or
  // "application/apply-patch+yaml" (the latter needs `?fieldManager=` in `path`).
  Result<nlohmann::json> Patch(std::string_view path, std::string_view patch_content_type,
                               const nlohmann::json& patch, std::chrono::milliseconds timeout = {});
  // DELETE; `options` (a metav1.DeleteOptions, e.g. preconditions) is sent when not null.
  // Returns what the server returns (the deleted object, or a Status for collections).
  Result<nlohmann::json> Delete(std::string_view path, const nlohmann::json& options = nullptr,
                                std::chrono::milliseconds timeout = {});

  // Starts a watch on its own connection: `path_with_query` must carry `watch=1` (or be a
  // `/watch/` path) and usually `resourceVersion=`, `allowWatchBookmarks=true` and
  // `timeoutSeconds=`. Events arrive as JSON lines (one object per line, possibly split across
  // chunks) and are delivered to `on_event` in order; `on_end` follows when the stream ends.
  // Never fails synchronously: connection and HTTP errors arrive through `on_end`.
  virtual std::unique_ptr<WatchHandle> Watch(std::string path_with_query,
                                             WatchEventCallback on_event,
                                             WatchEndCallback on_end) = 0;

  // The config this client was created with.
  virtual const ClientConfig& config() const = 0;
  // Pooled connections currently open (idle or busy); for tests and metrics.
  virtual int OpenConnections() const = 0;
  // Connections opened since creation (pooled and watch); shows whether the pool reuses them.
  virtual int64_t ConnectionsOpened() const = 0;

 protected:
  ApiClient() = default;
};

}  // namespace capstan::client
