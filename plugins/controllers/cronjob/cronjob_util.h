// Pure decisions of the CronJob controller, as upstream's pkg/controller/cronjob/utils.go makes
// them: the most recent unmet schedule time (startingDeadlineSeconds, the > 100 missed starts
// warning), the requeue delay until the next one, Job names and the Job built from
// `spec.jobTemplate`, and whether a Job finished. Partners: cronjob_controller.h (I/O),
// cron_schedule.h. Tests in tests/plugins/controllers/cronjob/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_CRONJOB_CRONJOB_UTIL_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_CRONJOB_CRONJOB_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "plugins/controllers/cronjob/cron_schedule.h"
#include "plugins/controllers/cronjob/time_zone.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kScheduledTimestampAnnotation[] =
    "batch.kubernetes.io/cronjob-scheduled-timestamp";
// More missed start times than this raise the TooManyMissedTimes warning.
inline constexpr int kMaxMissedSchedules = 100;

struct ScheduleWindow {
  int64_t earliest = 0;                // where the search started
  std::optional<int64_t> most_recent;  // the latest activation <= now after `earliest`
  bool many_missed = false;            // more than kMaxMissedSchedules activations were missed
  bool invalid = false;                // the schedule never fires (e.g. "0 0 30 2 *")
};

// Upstream's mostRecentScheduleTime: activations after max(creationTimestamp,
// status.lastScheduleTime[, now - startingDeadlineSeconds when `include_deadline`]) up to `now`.
ScheduleWindow MostRecentScheduleTime(const Json& cronjob, int64_t now,
                                      const CronSchedule& schedule, const TimeZone& zone,
                                      bool include_deadline);

// Upstream's nextScheduleTimeDuration in milliseconds from `now_ms`: until the first activation
// after the most recent one (or after `earliest` when none is due), plus 100 ms. nullopt when
// the schedule never fires.
std::optional<uint64_t> NextRequeueMs(const Json& cronjob, int64_t now_ms,
                                      const CronSchedule& schedule, const TimeZone& zone);

// "<cronjob>-<scheduled time in minutes since the epoch>".
std::string JobName(std::string_view cronjob_name, int64_t scheduled);

// The Job for activation `scheduled`: the template's labels, annotations and spec, the
// scheduled-timestamp annotation (RFC 3339 in `zone`), a controller ownerReference.
Json JobFromTemplate(const Json& cronjob, int64_t scheduled, const TimeZone& zone);

// "Complete" or "Failed" when the Job has that condition True, else "".
std::string JobFinishedCondition(const Json& job);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_CRONJOB_CRONJOB_UTIL_H_
