// Tests for core/protobuf/well_known.h: RFC 3339 times, Go durations, base64, UTF-8 repair.
#include "core/protobuf/well_known.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace capstan::protobuf {
namespace {

struct TimeCase {
  int64_t seconds;
  int64_t nanos;
  bool micro;
  const char* want;
};

TEST(WellKnownTest, FormatsTimesAsKubernetesJsonDoes) {
  const TimeCase cases[] = {
      {0, 0, false, "1970-01-01T00:00:00Z"},
      {1700000000, 0, false, "2023-11-14T22:13:20Z"},
      {1700000000, 999999999, false, "2023-11-14T22:13:20Z"},  // Time drops nanoseconds
      {951782400, 0, false, "2000-02-29T00:00:00Z"},           // leap day of a 400-year leap
      {4107542400, 0, false, "2100-03-01T00:00:00Z"},          // 2100 is not a leap year
      {-1, 0, false, "1969-12-31T23:59:59Z"},
      {-62135596800, 0, false, "0001-01-01T00:00:00Z"},  // Go's zero time
      {-62167219200, 0, false, "0000-01-01T00:00:00Z"},
      {253402300799, 0, false, "9999-12-31T23:59:59Z"},
      {1700000000, 123456789, true, "2023-11-14T22:13:20.123456Z"},
      {1700000000, 0, true, "2023-11-14T22:13:20.000000Z"},
      {1700000000, 1500000000, true, "2023-11-14T22:13:21.500000Z"},  // folded like time.Unix
      {1700000000, -1000, true, "2023-11-14T22:13:19.999999Z"},
  };
  for (const TimeCase& c : cases) {
    Result<std::string> text = FormatRfc3339(c.seconds, c.nanos, c.micro);
    ASSERT_TRUE(text.ok()) << c.seconds << ": " << text.status().ToString();
    EXPECT_EQ(*text, c.want) << c.seconds;
  }
}

TEST(WellKnownTest, RejectsTimesOutsideFourDigitYears) {
  for (int64_t seconds :
       {int64_t{253402300800}, int64_t{-62167219201}, std::numeric_limits<int64_t>::max(),
        std::numeric_limits<int64_t>::min()}) {
    Result<std::string> text = FormatRfc3339(seconds, 0, false);
    ASSERT_FALSE(text.ok()) << seconds;
    EXPECT_EQ(text.status().code(), StatusCode::kBadRequest);
  }
  EXPECT_FALSE(FormatRfc3339(253402300799, 1000000000, true).ok());
}

TEST(WellKnownTest, FormatsDurationsAsGoDoes) {
  const std::pair<int64_t, const char*> cases[] = {
      {0, "0s"},
      {1, "1ns"},
      {999, "999ns"},
      {1000, "1\xc2\xb5s"},
      {1500, "1.5\xc2\xb5s"},
      {1500000, "1.5ms"},
      {1000000000, "1s"},
      {1500000000, "1.5s"},
      {90000000000, "1m30s"},
      {3600000000000, "1h0m0s"},
      {3723000000001, "1h2m3.000000001s"},
      {-1500000000, "-1.5s"},
      {std::numeric_limits<int64_t>::max(), "2562047h47m16.854775807s"},
      {std::numeric_limits<int64_t>::min(), "-2562047h47m16.854775808s"},
  };
  for (const auto& [ns, want] : cases) EXPECT_EQ(FormatGoDuration(ns), want) << ns;
}

TEST(WellKnownTest, EncodesBase64WithPadding) {
  const std::pair<std::string, const char*> cases[] = {
      {"", ""},        {"f", "Zg=="},          {"fo", "Zm8="},
      {"foo", "Zm9v"}, {"foobar", "Zm9vYmFy"}, {std::string("\x00\x01\x02\xfe\xff", 5), "AAEC/v8="},
  };
  for (const auto& [bytes, want] : cases) EXPECT_EQ(Base64Encode(bytes), want);
}

TEST(WellKnownTest, ReplacesInvalidUtf8ByteByByte) {
  EXPECT_EQ(ToValidUtf8("plain"), "plain");
  EXPECT_EQ(ToValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(ToValidUtf8("a\xff"
                        "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(ToValidUtf8("\xc3"), "\xef\xbf\xbd");                                  // truncated
  EXPECT_EQ(ToValidUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");                  // overlong
  EXPECT_EQ(ToValidUtf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
}

}  // namespace
}  // namespace capstan::protobuf
