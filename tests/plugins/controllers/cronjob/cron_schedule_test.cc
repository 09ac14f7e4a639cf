// Tests for plugins/controllers/cronjob/cron_schedule and time_zone: next activations for the
// five-field language (steps, ranges, lists, names, descriptors, the dom/dow OR-rule), across
// daylight-saving changes in real IANA zones, bad schedules with upstream's messages, and the
// TZif reader (offsets, the POSIX footer past 2037, unknown names).
#include "plugins/controllers/cronjob/cron_schedule.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "plugins/controllers/cronjob/time_zone.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {
namespace {

int64_t T(const char* rfc3339) { return ParseTime(rfc3339).value(); }

struct NextCase {
  const char* schedule;
  const char* zone;
  const char* after;
  const char* want;  // "" when the schedule never fires
};

class CronNextTest : public ::testing::TestWithParam<NextCase> {};

TEST_P(CronNextTest, FindsTheNextActivation) {
  const NextCase& c = GetParam();
  std::string error;
  std::optional<CronSchedule> s = CronSchedule::Parse(c.schedule, &error);
  ASSERT_TRUE(s.has_value()) << c.schedule << ": " << error;
  std::optional<TimeZone> zone = TimeZone::Load(c.zone, &error);
  ASSERT_TRUE(zone.has_value()) << error;
  std::optional<int64_t> next = s->Next(T(c.after), *zone);
  if (std::string(c.want).empty()) {
    EXPECT_FALSE(next.has_value()) << c.schedule << " fired at " << FormatTime(next.value_or(0));
  } else {
    ASSERT_TRUE(next.has_value()) << c.schedule;
    EXPECT_EQ(FormatTime(*next), c.want)
        << c.schedule << " in '" << c.zone << "' after " << c.after;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, CronNextTest,
    ::testing::Values(
        // 2023-11-14 is a Tuesday.
        NextCase{"*/5 * * * *", "", "2023-11-14T22:13:20Z", "2023-11-14T22:15:00Z"},
        NextCase{"* * * * *", "", "2023-11-14T22:13:00Z", "2023-11-14T22:14:00Z"},
        NextCase{"1-10/2 * * * *", "", "2023-11-14T22:13:20Z", "2023-11-14T23:01:00Z"},
        NextCase{"7/20 * * * *", "", "2023-11-14T22:28:00Z", "2023-11-14T22:47:00Z"},
        NextCase{"0,30 9-17 * * *", "", "2023-11-14T17:30:00Z", "2023-11-15T09:00:00Z"},
        NextCase{"0 9 * * mon-fri", "", "2023-11-18T10:00:00Z", "2023-11-20T09:00:00Z"},
        NextCase{"0 0 1 jan,JUL *", "", "2023-11-14T00:00:00Z", "2024-01-01T00:00:00Z"},
        NextCase{"0 0 * JAN SUN", "", "2023-11-14T00:00:00Z", "2024-01-07T00:00:00Z"},
        NextCase{"@hourly", "", "2023-11-14T22:13:20Z", "2023-11-14T23:00:00Z"},
        NextCase{"@daily", "", "2023-11-14T22:13:20Z", "2023-11-15T00:00:00Z"},
        NextCase{"@midnight", "", "2023-11-14T22:13:20Z", "2023-11-15T00:00:00Z"},
        NextCase{"@weekly", "", "2023-11-14T22:13:20Z", "2023-11-19T00:00:00Z"},
        NextCase{"@monthly", "", "2023-11-14T22:13:20Z", "2023-12-01T00:00:00Z"},
        NextCase{"@yearly", "", "2023-11-14T22:13:20Z", "2024-01-01T00:00:00Z"},
        NextCase{"@every 90m", "", "2023-11-14T22:13:20Z", "2023-11-14T23:43:20Z"},
        // Both days restricted: either matches (the 17th is a Friday, before Dec 13).
        NextCase{"0 0 13 * fri", "", "2023-11-14T00:00:00Z", "2023-11-17T00:00:00Z"},
        NextCase{"0 0 13 * *", "", "2023-11-14T00:00:00Z", "2023-12-13T00:00:00Z"},
        NextCase{"0 0 ? * 5", "", "2023-11-14T00:00:00Z", "2023-11-17T00:00:00Z"},
        // A stepped `*` counts as restricted: OR again (the 15th is odd).
        NextCase{"0 0 */2 * fri", "", "2023-11-14T00:00:00Z", "2023-11-15T00:00:00Z"},
        NextCase{"0 12 29 2 *", "", "2023-11-14T00:00:00Z", "2024-02-29T12:00:00Z"},
        NextCase{"59 23 31 2 *", "", "2023-11-14T00:00:00Z", ""},
        // Zones: wall-clock fields, offsets that are not whole hours, DST gaps and overlaps.
        NextCase{"0 9 * * *", "Asia/Kolkata", "2023-11-14T00:00:00Z", "2023-11-14T03:30:00Z"},
        NextCase{"0 9 * * *", "America/New_York", "2023-07-01T00:00:00Z", "2023-07-01T13:00:00Z"},
        NextCase{"0 9 * * *", "America/New_York", "2023-12-01T00:00:00Z", "2023-12-01T14:00:00Z"},
        // 02:30 does not exist on 2023-03-12 in New York: that day is skipped.
        NextCase{"30 2 * * *", "America/New_York", "2023-03-11T08:00:00Z", "2023-03-13T06:30:00Z"},
        // 01:30 happens twice on 2023-11-05 (EDT, then EST): both run, as upstream's parser.
        NextCase{"30 1 * * *", "America/New_York", "2023-11-05T04:00:00Z", "2023-11-05T05:30:00Z"},
        NextCase{"30 1 * * *", "America/New_York", "2023-11-05T05:30:00Z", "2023-11-05T06:30:00Z"},
        NextCase{"30 1 * * *", "America/New_York", "2023-11-05T06:30:00Z", "2023-11-06T06:30:00Z"},
        // Past the TZif transition table: the POSIX footer rule gives summer time.
        NextCase{"0 12 1 7 *", "Europe/Berlin", "2040-01-01T00:00:00Z", "2040-07-01T10:00:00Z"},
        NextCase{"0 12 1 1 *", "Europe/Berlin", "2040-01-01T12:00:00Z", "2041-01-01T11:00:00Z"},
        NextCase{"0 9 * * *", "Australia/Sydney", "2024-01-10T00:00:00Z", "2024-01-10T22:00:00Z"}));

struct BadCase {
  const char* schedule;
  const char* error;
};

class CronBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(CronBadTest, IsRejectedWithUpstreamsMessage) {
  std::string error;
  EXPECT_FALSE(CronSchedule::Parse(GetParam().schedule, &error).has_value());
  EXPECT_EQ(error, GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Table, CronBadTest,
    ::testing::Values(
        BadCase{"", "empty spec string"},
        BadCase{"* * * *", "expected exactly 5 fields, found 4: [* * * *]"},
        BadCase{"* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"},
        BadCase{"60 * * * *", "end of range (60) above maximum (59): 60"},
        BadCase{"* * 0 * *", "beginning of range (0) below minimum (1): 0"},
        BadCase{"* * * * 7", "end of range (7) above maximum (6): 7"},
        BadCase{"*/0 * * * *", "step of range should be a positive number: */0"},
        BadCase{"5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"},
        BadCase{"1-2-3 * * * *", "too many hyphens: 1-2-3"},
        BadCase{"*/2/3 * * * *", "too many slashes: */2/3"},
        BadCase{"* * * foo *",
                "failed to parse int from foo: strconv.Atoi: parsing \"foo\": invalid syntax"},
        BadCase{"@fortnightly", "unrecognized descriptor: @fortnightly"},
        BadCase{"@every soon",
                "failed to parse duration @every soon: time: invalid duration \"soon\""}));

TEST(CronScheduleTest, ATimeZonePrefixIsParsedAndReported) {
  std::string error;
  std::optional<CronSchedule> s = CronSchedule::Parse("CRON_TZ=Asia/Tokyo 0 9 * * *", &error);
  ASSERT_TRUE(s.has_value()) << error;
  EXPECT_EQ(s->prefix_zone(), "Asia/Tokyo");
  EXPECT_EQ(CronSchedule::Parse("0 9 * * *", &error)->prefix_zone(), "");
}

TEST(TimeZoneTest, ReportsOffsetsAndResolvesWallClockTimesAsGoDoes) {
  std::string error;
  std::optional<TimeZone> ny = TimeZone::Load("America/New_York", &error);
  ASSERT_TRUE(ny.has_value()) << error;
  EXPECT_EQ(ny->OffsetAt(T("2023-07-01T00:00:00Z")), -4 * 3600);
  EXPECT_EQ(ny->OffsetAt(T("2023-12-01T00:00:00Z")), -5 * 3600);
  // 2023-03-12 01:00 local (EST) and 03:00 local (EDT).
  EXPECT_EQ(FormatTime(ny->FromLocal(T("2023-03-12T01:00:00Z"))), "2023-03-12T06:00:00Z");
  EXPECT_EQ(FormatTime(ny->FromLocal(T("2023-03-12T03:00:00Z"))), "2023-03-12T07:00:00Z");
  // The repeated 01:30 on 2023-11-05 resolves to its first (EDT) occurrence.
  EXPECT_EQ(FormatTime(ny->FromLocal(T("2023-11-05T01:30:00Z"))), "2023-11-05T05:30:00Z");
  EXPECT_EQ(
      FormatTimeWithOffset(T("2023-11-14T22:13:00Z"), ny->OffsetAt(T("2023-11-14T22:13:00Z"))),
      "2023-11-14T17:13:00-05:00");
  EXPECT_EQ(FormatTimeWithOffset(T("2023-11-14T22:13:00Z"), 0), "2023-11-14T22:13:00Z");
}

TEST(TimeZoneTest, UnknownAndEscapingNamesAreRejected) {
  std::string error;
  EXPECT_FALSE(TimeZone::Load("Mars/Olympus_Mons", &error).has_value());
  EXPECT_EQ(error, "unknown time zone Mars/Olympus_Mons");
  EXPECT_FALSE(TimeZone::Load("../../etc/passwd", &error).has_value());
  EXPECT_FALSE(TimeZone::Load("America", &error).has_value());  // a directory
  EXPECT_TRUE(TimeZone::Load("UTC", &error).has_value());
  EXPECT_EQ(CachedTimeZone("Nowhere/Else", &error), nullptr);
  EXPECT_NE(CachedTimeZone("Europe/Paris", &error), nullptr);
}

TEST(TimeZoneTest, MalformedTzifDataIsAnError) {
  std::string error;
  EXPECT_FALSE(TimeZone::FromTzif("TZif2", &error).has_value());
  EXPECT_FALSE(TimeZone::FromTzif(std::string(60, 'x'), &error).has_value());
  EXPECT_EQ(error, "malformed TZif data: bad magic");
}

TEST(CivilDaysTest, RoundTripsDates) {
  for (int64_t days : {-719468, -1, 0, 19675, 25000, 100000}) {
    int64_t y = 0;
    int m = 0, d = 0;
    CivilFromDays(days, &y, &m, &d);
    EXPECT_EQ(DaysFromCivil(y, m, d), days);
  }
  EXPECT_EQ(DaysFromCivil(2023, 11, 14), 19675);
}

}  // namespace
}  // namespace capstan::controllers
