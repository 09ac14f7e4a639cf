// The CronJob controller (plugin `cronjob`): creates a Job from `spec.jobTemplate` at every
// activation of `spec.schedule` (in `spec.timeZone`), named `<cronjob>-<minutes since epoch>`,
// honouring suspend, startingDeadlineSeconds and concurrencyPolicy Allow/Forbid/Replace; keeps
// status.active, lastScheduleTime and lastSuccessfulTime; deletes finished Jobs beyond the
// history limits; and asks the host to requeue it at the next activation (no polling).
// Behaviour follows kube-controller-manager v1.32 (pkg/controller/cronjob, controller v2).
// Exported by plugin.cc; decisions in cronjob_util.h; tests in tests/plugins/controllers/cronjob/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_CRONJOB_CRONJOB_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_CRONJOB_CRONJOB_CONTROLLER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/cronjob/cronjob_util.h"
#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kCronJobPluginName[] = "cronjob";
inline constexpr char kCronJobPluginVersion[] = "1.0.0";
inline constexpr char kCronJobPluginDescription[] = "CronJob controller (upstream v1.32 behaviour)";
inline constexpr char kCronJobSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "clockOffsetSeconds": {"type": "integer"}
  }
})";

// Thread-safe: configuration is immutable after Init; the write overlay has its own mutex; the
// host never reconciles one key on two workers at once.
class CronJobController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object. `clockOffsetSeconds` shifts the controller's
  // clock (tests and demos: pretend it is later than it is).
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // Primary batch/v1/cronjobs; Jobs mapped to their controlling CronJob.
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  // OK, with a requeue at the next activation when the schedule is valid and not suspended;
  // RETRY_LATER when the cache is not ready or the API asks to retry; ERROR when a Job cannot
  // be created, fetched or deleted otherwise.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  // Milliseconds since the epoch.
  void SetClockForTesting(std::function<int64_t()> now_ms);

 private:
  struct Sync {
    Json cronjob;
    Json status;
    bool changed = false;
    uint64_t requeue_ms = 0;
  };
  // Reconciles status.active and lastSuccessfulTime with the Jobs the cache shows.
  sdk::Status SyncActive(sdk::Call& call, const std::vector<Json>& jobs, Sync* sync);
  // Creates the Job for the most recent unmet activation when due.
  sdk::Status Schedule(sdk::Call& call, Sync* sync);
  // Deletes one Job (background propagation) and drops it from status.active.
  sdk::Status DeleteJob(sdk::Call& call, const Json& job, Sync* sync);
  // Deletes the oldest finished Jobs beyond the history limits.
  sdk::Status CleanupFinished(sdk::Call& call, const std::vector<Json>& jobs, Sync* sync);
  sdk::Status WriteStatus(sdk::Call& call, const Sync& sync);
  void Event(sdk::Call& call, const Json& cronjob, std::string_view type, std::string_view reason,
             const std::string& message);
  int64_t NowMs() const { return now_ms_() + clock_offset_ms_; }

  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 5;
  int64_t clock_offset_ms_ = 0;
  std::function<int64_t()> now_ms_;
  WriteOverlay overlay_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_CRONJOB_CRONJOB_CONTROLLER_H_
