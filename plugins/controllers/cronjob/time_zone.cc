// TZif and POSIX TZ rule reading for `TimeZone` (see time_zone.h).
#include "plugins/controllers/cronjob/time_zone.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace capstan::controllers {
namespace {

int64_t BigEndian(std::string_view data, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v = (v << 8) | static_cast<uint8_t>(data[at + i]);
  if (width == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[static_cast<size_t>(m - 1)];
}

// Reads digits at `*i` into `*out`; false when there are none.
bool Number(std::string_view s, size_t* i, int* out) {
  size_t start = *i;
  int v = 0;
  while (*i < s.size() && std::isdigit(static_cast<unsigned char>(s[*i])) != 0 && v < 100000) {
    v = v * 10 + (s[*i] - '0');
    ++*i;
  }
  *out = v;
  return *i > start;
}

// [+-]hh[:mm[:ss]] in seconds.
bool Duration(std::string_view s, size_t* i, int32_t* out) {
  int sign = 1;
  if (*i < s.size() && (s[*i] == '+' || s[*i] == '-')) sign = s[(*i)++] == '-' ? -1 : 1;
  int h = 0, m = 0, sec = 0;
  if (!Number(s, i, &h)) return false;
  if (*i < s.size() && s[*i] == ':') {
    ++*i;
    if (!Number(s, i, &m)) return false;
    if (*i < s.size() && s[*i] == ':') {
      ++*i;
      if (!Number(s, i, &sec)) return false;
    }
  }
  *out = sign * (h * 3600 + m * 60 + sec);
  return true;
}

// A zone abbreviation: letters, or anything between < and >.
bool Abbreviation(std::string_view s, size_t* i) {
  if (*i < s.size() && s[*i] == '<') {
    size_t close = s.find('>', *i);
    if (close == std::string_view::npos) return false;
    *i = close + 1;
    return true;
  }
  size_t start = *i;
  while (*i < s.size() && std::isalpha(static_cast<unsigned char>(s[*i])) != 0) ++*i;
  return *i - start >= 3;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, int* month, int* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = yoe + era * 400 + (*month <= 2 ? 1 : 0);
}

std::string FormatTimeWithOffset(int64_t unix_seconds, int32_t offset) {
  int64_t local = unix_seconds + offset;
  int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  int64_t secs = local - days * 86400;
  int64_t y = 0;
  int m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02lld:%02lld:%02lld",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  std::string out = buf;
  if (offset == 0) return out + "Z";
  int32_t a = offset < 0 ? -offset : offset;
  std::snprintf(buf, sizeof(buf), "%c%02d:%02d", offset < 0 ? '-' : '+', a / 3600, a / 60 % 60);
  return out + buf;
}

bool TimeZone::ParseRule(std::string_view s, Rule* rule) {
  size_t i = 0;
  int32_t posix = 0;
  if (!Abbreviation(s, &i) || !Duration(s, &i, &posix)) return false;
  rule->std_offset = -posix;
  if (i == s.size()) return true;
  if (!Abbreviation(s, &i)) return false;
  rule->has_dst = true;
  rule->dst_offset = rule->std_offset + 3600;
  if (i < s.size() && s[i] != ',') {
    if (!Duration(s, &i, &posix)) return false;
    rule->dst_offset = -posix;
  }
  for (Rule::Date* date : {&rule->start, &rule->end}) {
    if (i >= s.size() || s[i] != ',') return false;
    ++i;
    if (i < s.size() && s[i] == 'M') {
      ++i;
      date->kind = 'M';
      auto dot = [&] {
        if (i >= s.size() || s[i] != '.') return false;
        ++i;
        return true;
      };
      if (!Number(s, &i, &date->month) || !dot() || !Number(s, &i, &date->week) || !dot() ||
          !Number(s, &i, &date->day) || date->month < 1 || date->month > 12 || date->week < 1 ||
          date->week > 5 || date->day > 6) {
        return false;
      }
    } else {
      date->kind = 'D';
      if (i < s.size() && s[i] == 'J') {
        date->kind = 'J';
        ++i;
      }
      if (!Number(s, &i, &date->day)) return false;
    }
    if (i < s.size() && s[i] == '/') {
      ++i;
      if (!Duration(s, &i, &date->time)) return false;
    }
  }
  return i == s.size();
}

void TimeZone::RuleTransitions(int64_t year, int64_t* dst_start, int64_t* dst_end) const {
  auto day_of = [&](const Rule::Date& d) -> int64_t {
    int64_t jan1 = DaysFromCivil(year, 1, 1);
    if (d.kind == 'J') return jan1 + d.day - 1 + (IsLeap(year) && d.day >= 60 ? 1 : 0);
    if (d.kind == 'D') return jan1 + d.day;
    int64_t first = DaysFromCivil(year, d.month, 1);
    int64_t weekday = ((first + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
    int64_t day = 1 + (d.day - weekday + 7) % 7 + (d.week - 1) * 7;
    while (day > DaysInMonth(year, d.month)) day -= 7;
    return first + day - 1;
  };
  *dst_start = day_of(rule_->start) * 86400 + rule_->start.time - rule_->std_offset;
  *dst_end = day_of(rule_->end) * 86400 + rule_->end.time - rule_->dst_offset;
}

TimeZone::Span TimeZone::RuleSpan(int64_t u) const {
  if (!rule_->has_dst) return Span{rule_->std_offset, INT64_MIN, INT64_MAX};
  int64_t days = u >= 0 ? u / 86400 : (u - 86399) / 86400;
  int64_t year = 0;
  int month = 0, day = 0;
  CivilFromDays(days, &year, &month, &day);
  std::vector<std::pair<int64_t, int32_t>> events;  // instant, offset from then on
  for (int64_t y = year - 1; y <= year + 1; ++y) {
    int64_t start = 0, end = 0;
    RuleTransitions(y, &start, &end);
    events.emplace_back(start, rule_->dst_offset);
    events.emplace_back(end, rule_->std_offset);
  }
  std::sort(events.begin(), events.end());
  Span span{rule_->std_offset, INT64_MIN, events.front().first};
  for (size_t i = 0; i < events.size() && events[i].first <= u; ++i) {
    span.offset = events[i].second;
    span.start = events[i].first;
    span.end = i + 1 < events.size() ? events[i + 1].first : INT64_MAX;
  }
  return span;
}

TimeZone::Span TimeZone::Lookup(int64_t u) const {
  if (transitions_.empty()) {
    return rule_ ? RuleSpan(u) : Span{initial_offset_, INT64_MIN, INT64_MAX};
  }
  if (u < transitions_.front()) return Span{initial_offset_, INT64_MIN, transitions_.front()};
  size_t i = static_cast<size_t>(std::upper_bound(transitions_.begin(), transitions_.end(), u) -
                                 transitions_.begin() - 1);
  if (i + 1 < transitions_.size()) return Span{offsets_[i], transitions_[i], transitions_[i + 1]};
  if (!rule_) return Span{offsets_[i], transitions_[i], INT64_MAX};
  Span span = RuleSpan(u);
  span.start = std::max(span.start, transitions_[i]);
  return span;
}

int64_t TimeZone::FromLocal(int64_t local) const {
  Span span = Lookup(local);
  int32_t offset = span.offset;
  int64_t utc = local - offset;
  if (utc < span.start || utc >= span.end) offset = Lookup(utc).offset;
  return local - offset;
}

std::optional<TimeZone> TimeZone::FromTzif(std::string_view data, std::string* error) {
  auto fail = [&](const char* what) {
    *error = std::string("malformed TZif data: ") + what;
    return std::nullopt;
  };
  constexpr size_t kHeader = 44;
  if (data.size() < kHeader || data.substr(0, 4) != "TZif") return fail("bad magic");
  size_t at = 0;
  size_t width = 4;
  if (data[4] >= '2') {
    // Skip the 32-bit block: the 64-bit block after it has the full range.
    auto count = [&](int k) { return static_cast<size_t>(BigEndian(data, 20 + 4 * k, 4)); };
    size_t v1 = count(3) * 5 + count(4) * 6 + count(5) + count(2) * 8 + count(1) + count(0);
    at = kHeader + v1;
    width = 8;
    if (data.size() < at + kHeader || data.substr(at, 4) != "TZif") return fail("no v2 header");
  }
  auto count = [&](int k) { return static_cast<size_t>(BigEndian(data, at + 20 + 4 * k, 4)); };
  size_t isut = count(0), isstd = count(1), leap = count(2), timecnt = count(3), typecnt = count(4),
         charcnt = count(5);
  if (typecnt == 0) return fail("no local time types");
  size_t p = at + kHeader;
  size_t need = timecnt * (width + 1) + typecnt * 6 + charcnt + leap * (width + 4) + isstd + isut;
  if (data.size() < p + need) return fail("truncated");
  TimeZone zone;
  std::vector<int32_t> type_offsets(typecnt);
  size_t types_at = p + timecnt * (width + 1);
  for (size_t t = 0; t < typecnt; ++t) {
    type_offsets[t] = static_cast<int32_t>(BigEndian(data, types_at + t * 6, 4));
  }
  zone.initial_offset_ = type_offsets[0];
  for (size_t k = 0; k < timecnt; ++k) {
    size_t type = static_cast<uint8_t>(data[p + timecnt * width + k]);
    if (type >= typecnt) return fail("transition type out of range");
    zone.transitions_.push_back(BigEndian(data, p + k * width, width));
    zone.offsets_.push_back(type_offsets[type]);
  }
  if (!std::is_sorted(zone.transitions_.begin(), zone.transitions_.end())) {
    return fail("transitions out of order");
  }
  if (width == 8) {
    size_t footer = p + need;
    if (footer < data.size() && data[footer] == '\n') {
      size_t close = data.find('\n', footer + 1);
      std::string_view tz =
          data.substr(footer + 1, close == std::string_view::npos ? std::string_view::npos
                                                                  : close - footer - 1);
      Rule rule;
      if (!tz.empty()) {
        if (!ParseRule(tz, &rule)) return fail("bad POSIX TZ footer");
        zone.rule_ = rule;
      }
    }
  }
  return zone;
}

std::optional<TimeZone> TimeZone::Load(std::string_view name, std::string* error,
                                       const std::string& dir) {
  if (name.empty() || name == "UTC") return TimeZone();
  bool bad = name.front() == '/' || name.find("..") != std::string_view::npos ||
             name.find('\\') != std::string_view::npos;
  std::ifstream in;
  if (!bad) in.open(dir + "/" + std::string(name), std::ios::binary);
  if (bad || !in) {
    *error = "unknown time zone " + std::string(name);
    return std::nullopt;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::optional<TimeZone> zone = FromTzif(bytes.str(), error);
  if (!zone) *error = "unknown time zone " + std::string(name) + ": " + *error;
  return zone;
}

std::shared_ptr<const TimeZone> CachedTimeZone(const std::string& name, std::string* error) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>> zones;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = zones.find(name);
    if (it != zones.end()) return it->second;
  }
  std::optional<TimeZone> zone = TimeZone::Load(name, error);
  if (!zone) return nullptr;
  auto shared = std::make_shared<const TimeZone>(std::move(*zone));
  std::lock_guard<std::mutex> lock(mu);
  return zones.emplace(name, std::move(shared)).first->second;
}

}  // namespace capstan::controllers
