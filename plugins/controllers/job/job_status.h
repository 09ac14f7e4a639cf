// Pure helpers of the Job controller: counting a Job's pods (active, ready, terminating,
// succeeded, failed, completion indexes), upstream's condition edits and the completedIndexes
// text ("0-2,5"). Partners: job_controller.h. Tests in tests/plugins/controllers/job/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_JOB_JOB_STATUS_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_JOB_JOB_STATUS_H_

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kCompletionIndexKey[] = "batch.kubernetes.io/job-completion-index";

struct JobPods {
  std::vector<Json> active;  // not terminal, not being deleted
  int64_t ready = 0;         // active pods whose Ready condition is True
  int64_t terminating = 0;   // being deleted, not terminal
  int64_t succeeded = 0;
  int64_t failed = 0;
  std::set<int64_t> succeeded_indexes;  // Indexed Jobs: indexes with a succeeded pod
  std::set<int64_t> active_indexes;
};

// Sorts `pods` (owned by the Job) by phase; `completions` bounds valid indexes (< 0: not
// Indexed).
JobPods CountJobPods(const std::vector<Json>& pods, int64_t completions);

// The pod's completion index (annotation, then label), or -1.
int64_t CompletionIndex(const Json& pod);

// "0-2,5" for {0,1,2,5}; "" for none.
std::string CompressIndexes(const std::set<int64_t>& indexes);

// True when `conditions` holds `type` with status "True".
bool HasTrueCondition(const Json& conditions, std::string_view type);

// Adds condition `type` with status True (or refreshes reason/message of an existing one
// without moving lastTransitionTime unless the status changes), as upstream's
// ensureJobConditionStatus. `conditions` must be an array.
void EnsureCondition(Json& conditions, std::string_view type, std::string_view reason,
                     const std::string& message, int64_t now);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_JOB_JOB_STATUS_H_
