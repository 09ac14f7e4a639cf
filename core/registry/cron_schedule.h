// Cron schedule checking as upstream's CronJob validation does it (robfig/cron `ParseStandard`):
// five fields (minute hour day-of-month month day-of-week) with `*`, `?`, ranges, steps, lists
// and month/day names, or a descriptor (`@hourly`, `@daily`, `@every 1h30m`...). Used by the
// CronJob strategy (batch_strategy.cc).
#pragma once

#include <string>
#include <string_view>

namespace capstan::registry {

// "" when `schedule` parses; otherwise the parser's error text, e.g. "expected exactly 5 fields,
// found 1: [hourly]" or "end of range (60) above maximum (59): 60".
std::string CheckCronSchedule(std::string_view schedule);

}  // namespace capstan::registry
