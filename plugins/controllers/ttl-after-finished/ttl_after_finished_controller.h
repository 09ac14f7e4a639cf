// The TTL-after-finished controller (plugin `ttl-after-finished`): deletes a Job
// `spec.ttlSecondsAfterFinished` after its Complete or Failed condition's transition time, with
// foreground propagation and a UID precondition, re-checking a fresh copy from the API first.
// Unexpired Jobs are requeued for their expiry; nothing polls. Behaviour follows
// kube-controller-manager v1.32 (pkg/controller/ttlafterfinished). Exported by plugin.cc; tests
// in tests/plugins/controllers/ttl-after-finished/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_TTL_AFTER_FINISHED_TTL_AFTER_FINISHED_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_TTL_AFTER_FINISHED_TTL_AFTER_FINISHED_CONTROLLER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kTtlPluginName[] = "ttl-after-finished";
inline constexpr char kTtlPluginVersion[] = "1.0.0";
inline constexpr char kTtlPluginDescription[] =
    "TTL-after-finished controller: deletes finished Jobs after ttlSecondsAfterFinished";
inline constexpr char kTtlSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64}
  }
})";

// When the Job expires in unix milliseconds: the Complete/Failed (True) condition's
// lastTransitionTime plus ttlSecondsAfterFinished. nullopt when the Job has no TTL, has not
// finished, or the time is unreadable.
std::optional<int64_t> JobExpiryMs(const Json& job);

// Thread-safe: configuration is immutable after Init; the host never reconciles one key on two
// workers at once.
class TtlAfterFinishedController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // Primary batch/v1/jobs.
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  // OK when deleted, not due (requeued for the expiry) or not concerned; RETRY_LATER when the
  // cache is not ready or the API asks to retry; ERROR when the delete fails otherwise.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  // Milliseconds since the epoch.
  void SetClockForTesting(std::function<int64_t()> now_ms) { now_ms_ = std::move(now_ms); }

 private:
  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 5;
  std::function<int64_t()> now_ms_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_TTL_AFTER_FINISHED_TTL_AFTER_FINISHED_CONTROLLER_H_
