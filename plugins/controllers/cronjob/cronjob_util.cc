// Pure CronJob controller decisions (see cronjob_util.h).
#include "plugins/controllers/cronjob/cronjob_util.h"

#include <algorithm>

namespace capstan::controllers {

ScheduleWindow MostRecentScheduleTime(const Json& cronjob, int64_t now,
                                      const CronSchedule& schedule, const TimeZone& zone,
                                      bool include_deadline) {
  ScheduleWindow w;
  w.earliest = ParseTime(GetStr(cronjob, {"metadata", "creationTimestamp"})).value_or(now);
  if (std::optional<int64_t> last = ParseTime(GetStr(cronjob, {"status", "lastScheduleTime"}))) {
    w.earliest = *last;
  }
  const Json* deadline = sdk::json::FindPath(cronjob, {"spec", "startingDeadlineSeconds"});
  if (include_deadline && deadline != nullptr && deadline->is_number_integer()) {
    w.earliest = std::max(w.earliest, now - deadline->get<int64_t>());
  }
  std::optional<int64_t> t1 = schedule.Next(w.earliest, zone);
  std::optional<int64_t> t2 = t1 ? schedule.Next(*t1, zone) : std::nullopt;
  if (!t1 || !t2) {
    w.invalid = true;
    return w;
  }
  if (now < *t1) return w;
  int64_t cur = *t1;
  int missed = 1;
  for (std::optional<int64_t> n = t2; n && *n <= now && missed <= kMaxMissedSchedules;
       n = schedule.Next(cur, zone)) {
    cur = *n;
    ++missed;
  }
  if (missed > kMaxMissedSchedules) {
    // Too many to walk one by one (a stopped controller or a skewed clock): search back from
    // `now` in widening windows for the last activation.
    w.many_missed = true;
    const int64_t stride = std::max<int64_t>(1, *t2 - *t1);
    for (int64_t back = 2 * stride;; back *= 2) {
      int64_t from = std::max(cur, now - back);
      std::optional<int64_t> last;
      for (std::optional<int64_t> n = schedule.Next(from, zone); n && *n <= now;
           n = schedule.Next(*n, zone)) {
        last = n;
      }
      if (last) cur = *last;
      if (last || from == cur) break;
    }
  }
  w.most_recent = cur;
  return w;
}

std::optional<uint64_t> NextRequeueMs(const Json& cronjob, int64_t now_ms,
                                      const CronSchedule& schedule, const TimeZone& zone) {
  const int64_t now = now_ms >= 0 ? now_ms / 1000 : (now_ms - 999) / 1000;
  ScheduleWindow w = MostRecentScheduleTime(cronjob, now, schedule, zone, false);
  if (w.invalid) return std::nullopt;
  std::optional<int64_t> next = schedule.Next(w.most_recent.value_or(w.earliest), zone);
  if (!next) return std::nullopt;
  return static_cast<uint64_t>(std::max<int64_t>(*next * 1000 + 100 - now_ms, 100));
}

std::string JobName(std::string_view cronjob_name, int64_t scheduled) {
  int64_t minutes = scheduled >= 0 ? scheduled / 60 : (scheduled - 59) / 60;
  return std::string(cronjob_name) + "-" + std::to_string(minutes);
}

Json JobFromTemplate(const Json& cronjob, int64_t scheduled, const TimeZone& zone) {
  const Json* tmpl = sdk::json::FindPath(cronjob, {"spec", "jobTemplate"});
  Json meta = Json::object();
  for (const char* field : {"labels", "annotations"}) {
    const Json* v = tmpl != nullptr ? sdk::json::FindPath(*tmpl, {"metadata", field}) : nullptr;
    meta[field] = v != nullptr && v->is_object() ? *v : Json::object();
  }
  meta["annotations"][kScheduledTimestampAnnotation] =
      FormatTimeWithOffset(scheduled, zone.OffsetAt(scheduled));
  meta["name"] = JobName(Name(cronjob), scheduled);
  meta["namespace"] = Namespace(cronjob);
  meta["ownerReferences"] = Json::array({NewControllerRef(cronjob, "batch/v1", "CronJob")});
  const Json* spec = tmpl != nullptr ? sdk::json::Find(*tmpl, "spec") : nullptr;
  return Json{{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", meta},
              {"spec", spec != nullptr ? *spec : Json::object()}};
}

std::string JobFinishedCondition(const Json& job) {
  const Json* conditions = sdk::json::FindPath(job, {"status", "conditions"});
  if (conditions == nullptr || !conditions->is_array()) return "";
  for (const Json& c : *conditions) {
    std::string type = GetStr(c, {"type"});
    if ((type == "Complete" || type == "Failed") && GetStr(c, {"status"}) == "True") return type;
  }
  return "";
}

}  // namespace capstan::controllers
