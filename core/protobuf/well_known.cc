// Implementation of core/protobuf/well_known.h.
#include "core/protobuf/well_known.h"

#include <cstdio>

namespace capstan::protobuf {

namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kNanosPerSecond = 1000000000;
// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds.
constexpr int64_t kMinSeconds = -62167219200;
constexpr int64_t kMaxSeconds = 253402300799;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct CivilDate {
  int64_t year;
  int month;
  int day;
};

// Proleptic Gregorian date of a day count from 1970-01-01, using 400-year eras of 146097 days
// counted from 0000-03-01 so that the leap day falls at the end of each year.
CivilDate DateFromDays(int64_t days) {
  const int64_t shifted = days + 719468;
  const int64_t era = FloorDiv(shifted, 146097);
  const int64_t day_of_era = shifted - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_index = (5 * day_of_year + 2) / 153;  // 0 = March
  const int day = static_cast<int>(day_of_year - (153 * month_index + 2) / 5 + 1);
  const int month = static_cast<int>(month_index < 10 ? month_index + 3 : month_index - 9);
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

// Appends the fraction `frac` / 10^digits with trailing zeros dropped, and the '.' only when
// something is left; returns `value` / 10^digits.
uint64_t AppendFraction(std::string& reversed, uint64_t value, int digits) {
  bool printed = false;
  for (int i = 0; i < digits; ++i) {
    const auto digit = static_cast<char>('0' + value % 10);
    printed = printed || digit != '0';
    if (printed) reversed.push_back(digit);
    value /= 10;
  }
  if (printed) reversed.push_back('.');
  return value;
}

void AppendInteger(std::string& reversed, uint64_t value) {
  do {
    reversed.push_back(static_cast<char>('0' + value % 10));
    value /= 10;
  } while (value > 0);
}

}  // namespace

Result<std::string> FormatRfc3339(int64_t seconds, int64_t nanos, bool micro) {
  if (seconds < kMinSeconds - 1 || seconds > kMaxSeconds + 1) {
    return BadRequestError("timestamp " + std::to_string(seconds) + " is outside years 0-9999");
  }
  if (!micro) nanos = 0;
  seconds += FloorDiv(nanos, kNanosPerSecond);
  nanos -= FloorDiv(nanos, kNanosPerSecond) * kNanosPerSecond;
  if (seconds < kMinSeconds || seconds > kMaxSeconds) {
    return BadRequestError("timestamp " + std::to_string(seconds) + " is outside years 0-9999");
  }
  const int64_t days = FloorDiv(seconds, kSecondsPerDay);
  const int64_t in_day = seconds - days * kSecondsPerDay;
  const CivilDate date = DateFromDays(days);
  char buf[40];
  int n =
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", static_cast<int>(date.year),
                    date.month, date.day, static_cast<int>(in_day / 3600),
                    static_cast<int>(in_day / 60 % 60), static_cast<int>(in_day % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (micro) {
    std::snprintf(buf, sizeof buf, ".%06d", static_cast<int>(nanos / 1000));
    out += buf;
  }
  out += 'Z';
  return out;
}

std::string FormatGoDuration(int64_t nanoseconds) {
  if (nanoseconds == 0) return "0s";
  const bool negative = nanoseconds < 0;
  // Negating in unsigned arithmetic keeps INT64_MIN representable.
  uint64_t u =
      negative ? 0 - static_cast<uint64_t>(nanoseconds) : static_cast<uint64_t>(nanoseconds);
  std::string reversed;  // built back to front, as the units are known smallest first
  if (u < static_cast<uint64_t>(kNanosPerSecond)) {
    int digits = 0;
    if (u < 1000) {
      reversed = "sn";
    } else if (u < 1000000) {
      reversed = "s\xb5\xc2";  // "µs" reversed byte by byte (U+00B5 is C2 B5 in UTF-8)
      digits = 3;
    } else {
      reversed = "sm";
      digits = 6;
    }
    u = AppendFraction(reversed, u, digits);
    AppendInteger(reversed, u);
  } else {
    reversed = "s";
    u = AppendFraction(reversed, u, 9);
    AppendInteger(reversed, u % 60);
    u /= 60;
    if (u > 0) {
      reversed.push_back('m');
      AppendInteger(reversed, u % 60);
      u /= 60;
      if (u > 0) {
        reversed.push_back('h');
        AppendInteger(reversed, u);
      }
    }
  }
  if (negative) reversed.push_back('-');
  return std::string(reversed.rbegin(), reversed.rend());
}

namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 if there is none (overlong
// forms, surrogates and code points past U+10FFFF are invalid).
size_t ValidSequenceLength(std::string_view s) {
  const auto b0 = static_cast<uint8_t>(s[0]);
  if (b0 < 0x80) return 1;
  size_t length = 0;
  uint8_t low = 0x80;
  uint8_t high = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 == 0xe0) low = 0xa0;
    if (b0 == 0xed) high = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 == 0xf0) low = 0x90;
    if (b0 == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < (i == 1 ? low : 0x80) || b > (i == 1 ? high : 0xbf)) return 0;
  }
  return length;
}

}  // namespace

std::string ToValidUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  while (!bytes.empty()) {
    const size_t n = ValidSequenceLength(bytes);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      bytes.remove_prefix(1);
    } else {
      out.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
    }
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16 |
                       static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8 |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace capstan::protobuf
