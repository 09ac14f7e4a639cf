// `CronSchedule`: the CronJob schedule language as upstream's parser (robfig/cron v3
// `ParseStandard`) reads it — five fields (minute hour day-of-month month day-of-week) with `*`,
// `?`, lists, ranges, steps (`*/5`, `1-10/2`, `3/10`), month and weekday names, the descriptors
// `@yearly @annually @monthly @weekly @daily @midnight @hourly` and `@every <duration>`, an
// optional `TZ=`/`CRON_TZ=` prefix — and its next-activation search in a `TimeZone`, daylight
// saving quirks included. Partners: time_zone.h, cronjob_controller.h.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_CRONJOB_CRON_SCHEDULE_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_CRONJOB_CRON_SCHEDULE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "plugins/controllers/cronjob/time_zone.h"

namespace capstan::controllers {

// Immutable once parsed; copyable; thread-safe.
class CronSchedule {
 public:
  // nullopt with `*error` worded as upstream's parser words it (e.g. "expected exactly 5
  // fields, found 4: [* * * *]", "end of range (60) above maximum (59): 60").
  static std::optional<CronSchedule> Parse(std::string_view text, std::string* error);

  // The first activation strictly after `after` (unix seconds), reading the fields as wall-clock
  // time in `zone`; nullopt when there is none within five years (e.g. "0 0 30 2 *").
  std::optional<int64_t> Next(int64_t after, const TimeZone& zone) const;

  // The zone named by a `TZ=`/`CRON_TZ=` prefix, or "" without one.
  const std::string& prefix_zone() const { return prefix_zone_; }

 private:
  bool DayMatches(int dom, int dow) const;

  // Bit v set: value v allowed. kStar marks a field written `*` or `?` (no step), which turns
  // the day-of-month/day-of-week OR-rule into AND.
  static constexpr uint64_t kStar = uint64_t{1} << 63;
  uint64_t minute_ = 0, hour_ = 0, dom_ = 0, month_ = 0, dow_ = 0;
  int64_t every_seconds_ = 0;  // `@every`: a constant delay instead of fields
  std::string prefix_zone_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_CRONJOB_CRON_SCHEDULE_H_
