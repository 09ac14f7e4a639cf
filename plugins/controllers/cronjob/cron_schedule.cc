// Cron schedule parsing and next-activation search (see cron_schedule.h). The search follows
// robfig/cron's SpecSchedule.Next step by step (month, day, hour, minute), including how it
// moves across daylight-saving changes, so activations match upstream's controller.
#include "plugins/controllers/cronjob/cron_schedule.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <utility>
#include <vector>

namespace capstan::controllers {
namespace {

struct Bounds {
  int min;
  int max;
  const std::array<std::string_view, 12>* names;  // value = index + name_base, or NULL
  int name_base;
};

constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> kDays = {"sun", "mon", "tue", "wed", "thu", "fri",
                                                    "sat", "",    "",    "",    "",    ""};

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.emplace_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::vector<std::string> Fields(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) ++i;
    size_t start = i;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) == 0) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Go's strconv.Atoi plus robfig's "negative number" check.
std::optional<int> ParseInt(const std::string& expr, std::string* error) {
  size_t i = expr.empty() || (expr[0] != '+' && expr[0] != '-') ? 0 : 1;
  bool ok = i < expr.size() && expr.size() - i <= 9;
  for (size_t k = i; ok && k < expr.size(); ++k) {
    ok = std::isdigit(static_cast<unsigned char>(expr[k])) != 0;
  }
  if (!ok) {
    *error = "failed to parse int from " + expr + ": strconv.Atoi: parsing \"" + expr +
             "\": invalid syntax";
    return std::nullopt;
  }
  int v = std::atoi(expr.c_str() + i) * (expr[0] == '-' ? -1 : 1);
  if (v < 0) {
    *error = "negative number (" + std::to_string(v) + ") not allowed: " + expr;
    return std::nullopt;
  }
  return v;
}

std::optional<int> IntOrName(const std::string& expr, const Bounds& b, std::string* error) {
  if (b.names != nullptr) {
    std::string lower = Lower(expr);
    for (size_t i = 0; i < b.names->size(); ++i) {
      if (!(*b.names)[i].empty() && (*b.names)[i] == lower)
        return static_cast<int>(i) + b.name_base;
    }
  }
  return ParseInt(expr, error);
}

std::optional<uint64_t> Range(const std::string& expr, const Bounds& b, uint64_t star,
                              std::string* error) {
  std::vector<std::string> range_and_step = Split(expr, '/');
  std::vector<std::string> low_high = Split(range_and_step[0], '-');
  bool single = low_high.size() == 1;
  int start = 0, end = 0;
  uint64_t extra = 0;
  if (low_high[0] == "*" || low_high[0] == "?") {
    start = b.min;
    end = b.max;
    extra = star;
  } else {
    std::optional<int> s = IntOrName(low_high[0], b, error);
    if (!s) return std::nullopt;
    start = end = *s;
    if (low_high.size() == 2) {
      std::optional<int> e = IntOrName(low_high[1], b, error);
      if (!e) return std::nullopt;
      end = *e;
    } else if (low_high.size() > 2) {
      *error = "too many hyphens: " + expr;
      return std::nullopt;
    }
  }
  int step = 1;
  if (range_and_step.size() == 2) {
    std::optional<int> st = ParseInt(range_and_step[1], error);
    if (!st) return std::nullopt;
    step = *st;
    if (single) end = b.max;  // "N/step" means "N-max/step"
    if (step > 1) extra = 0;
  } else if (range_and_step.size() > 2) {
    *error = "too many slashes: " + expr;
    return std::nullopt;
  }
  auto fail = [&](std::string text) {
    *error = std::move(text) + ": " + expr;
    return std::nullopt;
  };
  if (start < b.min) {
    return fail("beginning of range (" + std::to_string(start) + ") below minimum (" +
                std::to_string(b.min) + ")");
  }
  if (end > b.max) {
    return fail("end of range (" + std::to_string(end) + ") above maximum (" +
                std::to_string(b.max) + ")");
  }
  if (start > end) {
    return fail("beginning of range (" + std::to_string(start) + ") beyond end of range (" +
                std::to_string(end) + ")");
  }
  if (step == 0) return fail("step of range should be a positive number");
  uint64_t bits = 0;
  for (int v = start; v <= end; v += step) bits |= uint64_t{1} << v;
  return bits | extra;
}

std::optional<uint64_t> Field(const std::string& field, const Bounds& b, uint64_t star,
                              std::string* error) {
  uint64_t bits = 0;
  for (const std::string& expr : Split(field, ',')) {
    std::optional<uint64_t> r = Range(expr, b, star, error);
    if (!r) return std::nullopt;
    bits |= *r;
  }
  return bits;
}

// Go's time.ParseDuration, in whole seconds (rounded down, at least 1 as robfig's Every does).
std::optional<int64_t> GoDurationSeconds(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double total_ns = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) != 0 || s[i] == '.')) {
      ++i;
    }
    if (i == start) return std::nullopt;
    double v = std::strtod(std::string(s.substr(start, i - start)).c_str(), nullptr);
    size_t unit_start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) == 0 && s[i] != '.') ++i;
    std::string_view unit = s.substr(unit_start, i - unit_start);
    double scale = unit == "ns"                   ? 1
                   : unit == "us" || unit == "µs" ? 1e3
                   : unit == "ms"                 ? 1e6
                   : unit == "s"                  ? 1e9
                   : unit == "m"                  ? 60e9
                   : unit == "h"                  ? 3600e9
                                                  : 0;
    if (scale == 0) return std::nullopt;
    total_ns += v * scale;
  }
  auto seconds = static_cast<int64_t>(std::floor(total_ns / 1e9));
  return seconds < 1 ? 1 : seconds;
}

struct Local {
  int64_t year;
  int month, day, hour, minute, second, wday;
};

Local Fields(int64_t u, const TimeZone& zone) {
  int64_t l = u + zone.OffsetAt(u);
  int64_t days = l >= 0 ? l / 86400 : (l - 86399) / 86400;
  int64_t secs = l - days * 86400;
  Local f{};
  CivilFromDays(days, &f.year, &f.month, &f.day);
  f.hour = static_cast<int>(secs / 3600);
  f.minute = static_cast<int>(secs / 60 % 60);
  f.second = static_cast<int>(secs % 60);
  f.wday = static_cast<int>(((days + 4) % 7 + 7) % 7);
  return f;
}

// Go's time.Date with normalisation of month and day overflow.
int64_t Date(const TimeZone& zone, int64_t year, int month, int day, int hour, int minute) {
  int64_t m0 = month - 1;
  year += m0 >= 0 ? m0 / 12 : (m0 - 11) / 12;
  m0 = ((m0 % 12) + 12) % 12;
  int64_t days = DaysFromCivil(year, static_cast<int>(m0) + 1, 1) + day - 1;
  return zone.FromLocal(days * 86400 + hour * 3600 + minute * 60);
}

}  // namespace

std::optional<CronSchedule> CronSchedule::Parse(std::string_view text, std::string* error) {
  if (text.empty()) {
    *error = "empty spec string";
    return std::nullopt;
  }
  CronSchedule out;
  std::string spec(text);
  if (spec.rfind("TZ=", 0) == 0 || spec.rfind("CRON_TZ=", 0) == 0) {
    size_t space = spec.find(' ');
    size_t eq = spec.find('=');
    if (space == std::string::npos) {
      *error = "provided bad location " + spec.substr(eq + 1) + ": missing schedule";
      return std::nullopt;
    }
    out.prefix_zone_ = spec.substr(eq + 1, space - eq - 1);
    spec = spec.substr(space);
    spec.erase(0, spec.find_first_not_of(" \t"));
  }
  if (!spec.empty() && spec[0] == '@') {
    static const std::array<std::pair<std::string_view, std::string_view>, 7> kDescriptors = {{
        {"@yearly", "0 0 1 1 *"},
        {"@annually", "0 0 1 1 *"},
        {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"},
        {"@daily", "0 0 * * *"},
        {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"},
    }};
    for (const auto& [name, expansion] : kDescriptors) {
      if (spec == name) {
        std::optional<CronSchedule> parsed = Parse(expansion, error);
        if (parsed) parsed->prefix_zone_ = out.prefix_zone_;
        return parsed;
      }
    }
    if (spec.rfind("@every ", 0) == 0) {
      std::string d = spec.substr(7);
      std::optional<int64_t> seconds = GoDurationSeconds(d);
      if (!seconds) {
        *error = "failed to parse duration " + spec + ": time: invalid duration \"" + d + "\"";
        return std::nullopt;
      }
      out.every_seconds_ = *seconds;
      return out;
    }
    *error = "unrecognized descriptor: " + spec;
    return std::nullopt;
  }
  std::vector<std::string> fields = Fields(spec);
  if (fields.size() != 5) {
    std::string list;
    for (const std::string& f : fields) list += (list.empty() ? "" : " ") + f;
    *error =
        "expected exactly 5 fields, found " + std::to_string(fields.size()) + ": [" + list + "]";
    return std::nullopt;
  }
  const std::array<Bounds, 5> bounds = {{{0, 59, nullptr, 0},
                                         {0, 23, nullptr, 0},
                                         {1, 31, nullptr, 0},
                                         {1, 12, &kMonths, 1},
                                         {0, 6, &kDays, 0}}};
  std::array<uint64_t*, 5> targets = {&out.minute_, &out.hour_, &out.dom_, &out.month_, &out.dow_};
  for (size_t i = 0; i < 5; ++i) {
    std::optional<uint64_t> bits = Field(fields[i], bounds[i], kStar, error);
    if (!bits) return std::nullopt;
    *targets[i] = *bits;
  }
  return out;
}

bool CronSchedule::DayMatches(int dom, int dow) const {
  bool dom_match = (dom_ >> dom & 1) != 0;
  bool dow_match = (dow_ >> dow & 1) != 0;
  if ((dom_ & kStar) != 0 || (dow_ & kStar) != 0) return dom_match && dow_match;
  return dom_match || dow_match;
}

std::optional<int64_t> CronSchedule::Next(int64_t after, const TimeZone& zone) const {
  if (every_seconds_ > 0) return after + every_seconds_;
  int64_t t = after + 1;
  bool added = false;
  const int64_t year_limit = Fields(t, zone).year + 5;
  auto has = [](uint64_t bits, int v) { return (bits >> v & 1) != 0; };
  for (;;) {  // each `continue` is robfig's "goto WRAP": a field wrapped, start over
    Local f = Fields(t, zone);
    if (f.year > year_limit) return std::nullopt;
    bool wrapped = false;
    while (!wrapped && !has(month_, f.month)) {
      if (!added) {
        added = true;
        t = Date(zone, f.year, f.month, 1, 0, 0);
        f = Fields(t, zone);
      }
      t = Date(zone, f.year, f.month + 1, f.day, f.hour, f.minute);
      f = Fields(t, zone);
      wrapped = f.month == 1;
    }
    while (!wrapped && !DayMatches(f.day, f.wday)) {
      if (!added) {
        added = true;
        t = Date(zone, f.year, f.month, f.day, 0, 0);
        f = Fields(t, zone);
      }
      t = Date(zone, f.year, f.month, f.day + 1, f.hour, f.minute);
      f = Fields(t, zone);
      // Midnight may not exist on a daylight-saving day: snap back to a day boundary.
      if (f.hour != 0) {
        t += f.hour > 12 ? int64_t{24 - f.hour} * 3600 : -int64_t{f.hour} * 3600;
        f = Fields(t, zone);
      }
      wrapped = f.day == 1;
    }
    while (!wrapped && !has(hour_, f.hour)) {
      if (!added) {
        added = true;
        t = Date(zone, f.year, f.month, f.day, f.hour, 0);
      }
      t += 3600;
      f = Fields(t, zone);
      wrapped = f.hour == 0;
    }
    while (!wrapped && !has(minute_, f.minute)) {
      if (!added) {
        added = true;
        t -= ((t % 60) + 60) % 60;
      }
      t += 60;
      f = Fields(t, zone);
      wrapped = f.minute == 0;
    }
    if (wrapped) continue;
    if (f.second == 0) return t;
    added = true;  // the seconds field is always 0 in five-field schedules
    t += 60 - f.second;
  }
}

}  // namespace capstan::controllers
