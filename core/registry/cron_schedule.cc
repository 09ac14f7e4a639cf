// Standard cron schedule parsing (cron_schedule.h), with robfig/cron v3's error wording.
#include "core/registry/cron_schedule.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <vector>

namespace capstan::registry {
namespace {

struct Bounds {
  uint64_t min;
  uint64_t max;
  std::vector<std::string_view> names;  // index + min = value
};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? s.npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

// Go strconv.Atoi plus robfig's "negative number" rule.
std::string ParseNumber(std::string_view s, uint64_t* out) {
  int64_t v = 0;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (b != e && *b == '+') ++b;
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (s.empty() || ec != std::errc() || ptr != e) {
    std::string kind =
        ec == std::errc::result_out_of_range ? "value out of range" : "invalid syntax";
    return "failed to parse int from " + std::string(s) + ": strconv.Atoi: parsing \"" +
           std::string(s) + "\": " + kind;
  }
  if (v < 0) return "negative number (" + std::to_string(v) + ") not allowed: " + std::string(s);
  *out = static_cast<uint64_t>(v);
  return "";
}

std::string ParseIntOrName(std::string_view s, const Bounds& b, uint64_t* out) {
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < b.names.size(); ++i) {
    if (lower == b.names[i]) {
      *out = b.min + i;
      return "";
    }
  }
  return ParseNumber(s, out);
}

std::string CheckRange(std::string_view expr, const Bounds& b) {
  std::vector<std::string_view> range_and_step = Split(expr, '/');
  std::vector<std::string_view> low_high = Split(range_and_step[0], '-');
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t step = 1;
  if (low_high[0] == "*" || low_high[0] == "?") {
    start = b.min;
    end = b.max;
  } else {
    if (std::string e = ParseIntOrName(low_high[0], b, &start); !e.empty()) return e;
    if (low_high.size() == 1) {
      end = start;
    } else if (low_high.size() == 2) {
      if (std::string e = ParseIntOrName(low_high[1], b, &end); !e.empty()) return e;
    } else {
      return "too many hyphens: " + std::string(expr);
    }
  }
  if (range_and_step.size() == 2) {
    if (std::string e = ParseNumber(range_and_step[1], &step); !e.empty()) return e;
    if (low_high.size() == 1) end = b.max;  // "N/step" means "N-max/step"
  } else if (range_and_step.size() > 2) {
    return "too many slashes: " + std::string(expr);
  }
  std::string x(expr);
  if (start < b.min) {
    return "beginning of range (" + std::to_string(start) + ") below minimum (" +
           std::to_string(b.min) + "): " + x;
  }
  if (end > b.max) {
    return "end of range (" + std::to_string(end) + ") above maximum (" + std::to_string(b.max) +
           "): " + x;
  }
  if (start > end) {
    return "beginning of range (" + std::to_string(start) + ") beyond end of range (" +
           std::to_string(end) + "): " + x;
  }
  if (step == 0) return "step of range should be a positive number: " + x;
  return "";
}

// Go's time.ParseDuration grammar: [-+]?(\d*\.?\d+(ns|us|µs|ms|s|m|h))+ or "0".
bool IsGoDuration(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == "0") return true;
  if (s.empty()) return false;
  while (!s.empty()) {
    size_t digits = 0;
    bool dot = false;
    while (digits < s.size() &&
           (std::isdigit(static_cast<unsigned char>(s[digits])) || (s[digits] == '.' && !dot))) {
      dot = dot || s[digits] == '.';
      ++digits;
    }
    if (digits == 0 || (digits == 1 && dot)) return false;
    s.remove_prefix(digits);
    bool unit = false;
    for (std::string_view u : {"ns", "us", "\xc2\xb5s", "ms", "s", "m", "h"}) {
      if (s.substr(0, u.size()) == u) {
        // Prefer the longest match ("ms" before "m").
        if (u == "m" && s.substr(0, 2) == "ms") continue;
        s.remove_prefix(u.size());
        unit = true;
        break;
      }
    }
    if (!unit) return false;
  }
  return true;
}

}  // namespace

std::string CheckCronSchedule(std::string_view schedule) {
  if (!schedule.empty() && schedule[0] == '@') {
    static constexpr std::string_view kDescriptors[] = {
        "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"};
    for (std::string_view d : kDescriptors) {
      if (schedule == d) return "";
    }
    constexpr std::string_view kEvery = "@every ";
    if (schedule.substr(0, kEvery.size()) == kEvery) {
      std::string_view dur = schedule.substr(kEvery.size());
      if (IsGoDuration(dur)) return "";
      return "failed to parse duration " + std::string(schedule) + ": time: invalid duration \"" +
             std::string(dur) + "\"";
    }
    return "unrecognized descriptor: " + std::string(schedule);
  }
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < schedule.size()) {
    while (i < schedule.size() && std::isspace(static_cast<unsigned char>(schedule[i]))) ++i;
    size_t start = i;
    while (i < schedule.size() && !std::isspace(static_cast<unsigned char>(schedule[i]))) ++i;
    if (i > start) fields.push_back(schedule.substr(start, i - start));
  }
  if (fields.size() != 5) {
    std::string list = "[";
    for (size_t f = 0; f < fields.size(); ++f) {
      if (f > 0) list += " ";
      list += fields[f];
    }
    return "expected exactly 5 fields, found " + std::to_string(fields.size()) + ": " + list + "]";
  }
  static const Bounds kBounds[] = {
      {0, 59, {}},
      {0, 23, {}},
      {1, 31, {}},
      {1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
      {0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
  };
  for (size_t f = 0; f < 5; ++f) {
    for (std::string_view expr : Split(fields[f], ',')) {
      if (std::string e = CheckRange(expr, kBounds[f]); !e.empty()) return e;
    }
  }
  return "";
}

}  // namespace capstan::registry
