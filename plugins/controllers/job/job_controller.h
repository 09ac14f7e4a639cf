// The Job controller (plugin `job`): runs batch/v1 Jobs — creates pods from the template
// (controller ownerReference; the API server put job-name/controller-uid labels on it) towards
// `parallelism` until `completions` pods succeeded (NonIndexed) or every index 0..completions-1
// did (Indexed: completion-index annotation/label, hostname and JOB_COMPLETION_INDEX),
// counts failures against `backoffLimit`, enforces `activeDeadlineSeconds`, honours `suspend`,
// and reports status (active, ready, terminating, succeeded, failed, startTime,
// completionTime, completedIndexes) with v1.32's conditions: SuccessCriteriaMet then Complete,
// FailureTarget then Failed once no pod is left running. Exported by plugin.cc; counting in
// job_status.h; tests in tests/plugins/controllers/job/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_JOB_JOB_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_JOB_JOB_CONTROLLER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/job/job_status.h"
#include "plugins/controllers/kit/expectations.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kJobPluginName[] = "job";
inline constexpr char kJobPluginVersion[] = "1.0.0";
inline constexpr char kJobPluginDescription[] = "Job controller (upstream v1.32 behaviour)";
inline constexpr char kJobSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64}
  }
})";

// Thread-safe: configuration is immutable after Init; expectations have their own mutex; the
// host never reconciles one key on two workers at once.
class JobController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // Primary batch/v1/jobs; pods mapped to their controlling Job.
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // OK when in sync (requeued for activeDeadlineSeconds); RETRY_LATER when the cache is not
  // ready or the API asks to retry; ERROR when pod writes fail otherwise.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  void SetClockForTesting(Clock clock);

 private:
  sdk::Status CreatePods(sdk::Call& call, const std::string& key, const Json& job,
                         const std::vector<int64_t>& indexes);
  sdk::Status DeletePods(sdk::Call& call, const std::string& key, const Json& job,
                         const std::vector<Json>& pods);
  Json NewPod(const Json& job, int64_t index) const;

  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 5;
  Clock clock_ = SystemNow;
  Expectations expectations_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_JOB_JOB_CONTROLLER_H_
