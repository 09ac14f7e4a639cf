// The TTL-after-finished controller (see ttl_after_finished_controller.h).
#include "plugins/controllers/ttl-after-finished/ttl_after_finished_controller.h"

#include <chrono>
#include <utility>

#include "plugins/controllers/kit/api.h"

namespace capstan::controllers {
namespace {

constexpr char kJobs[] = "batch/v1/jobs";

}  // namespace

std::optional<int64_t> JobExpiryMs(const Json& job) {
  const Json* ttl = sdk::json::FindPath(job, {"spec", "ttlSecondsAfterFinished"});
  const Json* conditions = sdk::json::FindPath(job, {"status", "conditions"});
  if (ttl == nullptr || !ttl->is_number_integer() || conditions == nullptr ||
      !conditions->is_array()) {
    return std::nullopt;
  }
  for (const Json& c : *conditions) {
    std::string type = GetStr(c, {"type"});
    if ((type != "Complete" && type != "Failed") || GetStr(c, {"status"}) != "True") continue;
    std::optional<int64_t> at = ParseTime(GetStr(c, {"lastTransitionTime"}));
    if (!at) return std::nullopt;
    return (*at + ttl->get<int64_t>()) * 1000;
  }
  return std::nullopt;
}

sdk::Status TtlAfterFinishedController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  now_ms_ = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  return sdk::Status::Ok();
}

sdk::Status TtlAfterFinishedController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(Json{{"primary", kJobs}, {"workers", workers_}});
  return sdk::Status::Ok();
}

sdk::Status TtlAfterFinishedController::Reconcile(sdk::Call& call, std::string_view key,
                                                  uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string cached;
  sdk::Status s = host_->CacheGet(kJobs, key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> job = sdk::json::Parse(cached);
  if (!job || !job->is_object()) return sdk::Status::Error("cache returned a non-object");
  std::optional<int64_t> expiry = JobExpiryMs(*job);
  if (!expiry || Deleting(*job)) return sdk::Status::Ok();
  const int64_t now = now_ms_();
  if (*expiry > now) {
    *requeue_after_ms = static_cast<uint64_t>(*expiry - now);
    return sdk::Status::Ok();
  }
  // The cache may be stale (TTL changed, Job replaced): decide again on a fresh copy.
  std::string path = ApiPath("batch/v1", "jobs", Namespace(*job), Name(*job));
  Json fresh;
  s = Send(call, "GET", path, "", "", &fresh);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  if (!s.ok()) return s;
  expiry = JobExpiryMs(fresh);
  if (!expiry || Deleting(fresh)) return sdk::Status::Ok();
  if (*expiry > now) {
    *requeue_after_ms = static_cast<uint64_t>(*expiry - now);
    return sdk::Status::Ok();
  }
  Json options = {{"kind", "DeleteOptions"},
                  {"apiVersion", "v1"},
                  {"propagationPolicy", "Foreground"},
                  {"preconditions", {{"uid", Uid(fresh)}}}};
  s = Send(call, "DELETE", path, kJson, sdk::json::Dump(options));
  // 404: gone already; 409 on a UID mismatch: another Job took the name, not ours to delete.
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  if (!s.ok() && s.message().find("HTTP 409") != std::string::npos) return sdk::Status::Ok();
  if (s.ok()) host_->Info("deleted expired job " + std::string(key));
  return s;
}

}  // namespace capstan::controllers
