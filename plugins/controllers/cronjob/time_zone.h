// `TimeZone`: IANA time zones read from the system's TZif files (/usr/share/zoneinfo), with the
// POSIX TZ footer rule for instants past the last listed transition. Written by hand because
// g++ 12's libstdc++ has no std::chrono zones and `TZ` + localtime_r is not thread-safe.
// Used by cron_schedule.h; tests in tests/plugins/controllers/cronjob/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_CRONJOB_TIME_ZONE_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_CRONJOB_TIME_ZONE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace capstan::controllers {

inline constexpr char kZoneInfoDir[] = "/usr/share/zoneinfo";

// Immutable after construction, so safe to share between threads.
class TimeZone {
 public:
  // UTC: offset 0 everywhere.
  TimeZone() = default;

  // Parses the bytes of a TZif file (versions 1-4). nullopt with `*error` set when malformed.
  static std::optional<TimeZone> FromTzif(std::string_view data, std::string* error);
  // Loads `name` ("America/New_York"; "" and "UTC" give UTC) from `dir`. nullopt with `*error`
  // set ("unknown time zone X") when the name is not a zone file or escapes `dir`.
  static std::optional<TimeZone> Load(std::string_view name, std::string* error,
                                      const std::string& dir = kZoneInfoDir);

  // The UTC offset in seconds in effect at `unix_seconds`, and the span [start, end) of instants
  // sharing it (as far as this zone's data tells; INT64_MIN/INT64_MAX when unbounded).
  struct Span {
    int32_t offset = 0;
    int64_t start = INT64_MIN;
    int64_t end = INT64_MAX;
  };
  Span Lookup(int64_t unix_seconds) const;
  int32_t OffsetAt(int64_t unix_seconds) const { return Lookup(unix_seconds).offset; }

  // The instant of wall-clock time `local` (seconds since the epoch as if the wall clock were
  // UTC), resolved as Go's time.Date does: in a gap the offset before the gap applies (02:30 on
  // a spring-forward day gives 03:30 daylight time), in an overlap the first occurrence.
  int64_t FromLocal(int64_t local) const;

 private:
  // A POSIX TZ rule ("EST5EDT,M3.2.0,M11.1.0"); `has_dst` false for fixed offsets.
  struct Rule {
    int32_t std_offset = 0;
    int32_t dst_offset = 0;
    bool has_dst = false;
    // Each date: kind 'J' (1..365, no Feb 29), 'D' (0..365) or 'M' (month.week.day).
    struct Date {
      char kind = 'M';
      int month = 0, week = 0, day = 0;
      int32_t time = 7200;  // seconds after local midnight
    };
    Date start, end;
  };
  static bool ParseRule(std::string_view text, Rule* rule);
  // The UTC instants when daylight time starts and ends in `year`.
  void RuleTransitions(int64_t year, int64_t* dst_start, int64_t* dst_end) const;
  Span RuleSpan(int64_t unix_seconds) const;

  std::vector<int64_t> transitions_;  // ascending unix seconds
  std::vector<int32_t> offsets_;      // offset in effect from transitions_[i]
  int32_t initial_offset_ = 0;        // before the first transition
  std::optional<Rule> rule_;          // after the last transition
};

// Loads zones once per name and keeps them; thread-safe. NULL with `*error` set when unknown.
std::shared_ptr<const TimeZone> CachedTimeZone(const std::string& name, std::string* error);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12) and back.
int64_t DaysFromCivil(int64_t year, int month, int day);
void CivilFromDays(int64_t days, int64_t* year, int* month, int* day);

// "2023-11-14T17:13:20-05:00" ("Z" for offset 0), as Go's time.RFC3339.
std::string FormatTimeWithOffset(int64_t unix_seconds, int32_t offset);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_CRONJOB_TIME_ZONE_H_
