// Shared controller helpers for writes through the host's API client: resource paths, HTTP
// status classification into SDK statuses (409/429/5xx retry, 404 not found), and a
// "read your writes" overlay for caches that lag the API. Partners: object_util.h.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_KIT_API_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_KIT_API_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capstan/sdk/call.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kMergePatch[] = "application/merge-patch+json";
inline constexpr char kJson[] = "application/json";

// "/api/v1/namespaces/ns/pods" (group_version "v1") or "/apis/apps/v1/namespaces/ns/replicasets";
// `name` and `subresource` are appended when not empty.
std::string ApiPath(std::string_view group_version, std::string_view plural, std::string_view ns,
                    std::string_view name = {}, std::string_view subresource = {});

// Sends one request and classifies the answer: OK for 2xx with the parsed body in `*out` (when
// not NULL and the body is JSON); NOT_FOUND for 404; RETRY_LATER for transport failures, 409,
// 429 and 5xx; ERROR otherwise. Messages name `method path` and the server's message.
sdk::Status Send(sdk::Call& call, std::string_view method, const std::string& path,
                 std::string_view content_type, const std::string& body, Json* out = nullptr);

// A merge patch of the status subresource at `status_path` when `desired` differs from the
// current `owner.status` (fields no longer present are sent as null). OK when nothing changed
// or the patch applied; otherwise as `Send`.
sdk::Status WriteStatusIfChanged(sdk::Call& call, const std::string& status_path, const Json& owner,
                                 const Json& desired);

// Best effort: records a core/v1 Event about `object` (as `kubectl describe` shows them), e.g.
// reason "SuccessfulCreate", message "Created pod: web-abcde"; `type` is "Normal" or "Warning".
// Failures are ignored: events never block a reconcile.
void RecordEvent(sdk::Call& call, const Json& object, std::string_view api_version,
                 std::string_view kind, std::string_view component, std::string_view type,
                 std::string_view reason, const std::string& message, int64_t now);

// Objects this controller wrote, newer than the informer cache may be yet. `Fresh` returns the
// written copy when its resourceVersion is numerically greater than the cached one (or the
// cache lacks the object), else the cached one and forgets the written copy. A written copy the
// cache never shows is dropped after `ttl_seconds` (it may have been deleted meanwhile).
// Thread-safe.
class WriteOverlay {
 public:
  explicit WriteOverlay(Clock clock = SystemNow, int64_t ttl_seconds = 15)
      : clock_(std::move(clock)), ttl_seconds_(ttl_seconds) {}
  void set_clock(Clock clock) { clock_ = std::move(clock); }

  void Remember(const Json& written);
  void Forget(const std::string& key);
  // `cached` may be NULL (not in the cache).
  std::optional<Json> Fresh(const std::string& key, const Json* cached);
  // Written objects of namespace `ns` whose keys are not in `cached_keys`.
  std::vector<Json> Missing(std::string_view ns, const std::vector<std::string>& cached_keys);

 private:
  struct Entry {
    Json object;
    int64_t written_at;
  };
  void Expire();  // requires mu_

  Clock clock_;
  int64_t ttl_seconds_;
  std::mutex mu_;
  std::map<std::string, Entry> written_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_KIT_API_H_
