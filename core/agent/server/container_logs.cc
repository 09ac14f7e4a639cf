// Container log options, CRI record parsing, decoding and the file reader (container_logs.h).
#include "core/agent/server/container_logs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace capstan::agent::server {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

std::optional<bool> ParseBool(std::string_view v) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v.empty() || v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" ||
      v == "False") {
    return false;
  }
  return std::nullopt;
}

std::optional<int64_t> ParseInt(std::string_view v) {
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size() || v.empty()) return std::nullopt;
  return out;
}

// Digits at `text[pos, pos+n)` as a number; -1 when any is not a digit.
int64_t Digits(std::string_view text, size_t pos, size_t n) {
  if (pos + n > text.size()) return -1;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

Result<int64_t> ParseRfc3339Nano(std::string_view t) {
  auto bad = [&] { return BadRequestError("invalid RFC 3339 time '" + std::string(t) + "'"); };
  int64_t y = Digits(t, 0, 4), mo = Digits(t, 5, 2), d = Digits(t, 8, 2);
  int64_t h = Digits(t, 11, 2), mi = Digits(t, 14, 2), s = Digits(t, 17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      s < 0 || s > 60 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') ||
      t[13] != ':' || t[16] != ':') {
    return bad();
  }
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < t.size() && t[pos] == '.') {
    size_t start = ++pos;
    int64_t scale = kNsPerSecond;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (pos - start < 9) {
        scale /= 10;
        frac += (t[pos] - '0') * scale;
      }
      ++pos;
    }
    if (pos == start) return bad();
  }
  int64_t offset_s = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    int64_t oh = Digits(t, pos + 1, 2), om = Digits(t, pos + 4, 2);
    if (oh < 0 || om < 0 || t[pos + 3] != ':') return bad();
    offset_s = (oh * 3600 + om * 60) * (t[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != t.size()) return bad();
  int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset_s;
  return secs * kNsPerSecond + frac;
}

Result<LogOptions> ParseLogOptions(const apiserver::FieldList& query, int64_t now_ns) {
  LogOptions o;
  struct BoolParam {
    const char* name;
    bool* out;
  };
  for (BoolParam p : {BoolParam{"follow", &o.follow}, BoolParam{"timestamps", &o.timestamps},
                      BoolParam{"previous", &o.previous}}) {
    if (std::optional<std::string_view> v = query.Get(p.name)) {
      std::optional<bool> b = ParseBool(*v);
      if (!b)
        return BadRequestError(std::string("invalid value for ") + p.name + ": " + std::string(*v));
      *p.out = *b;
    }
  }
  if (std::optional<std::string_view> v = query.Get("tailLines")) {
    std::optional<int64_t> n = ParseInt(*v);
    if (!n || *n < 0) return BadRequestError("tailLines must be a non-negative integer");
    o.tail_lines = n;
  }
  if (std::optional<std::string_view> v = query.Get("limitBytes")) {
    std::optional<int64_t> n = ParseInt(*v);
    if (!n || *n <= 0) return BadRequestError("limitBytes must be a positive integer");
    o.limit_bytes = n;
  }
  std::optional<std::string_view> since_s = query.Get("sinceSeconds");
  std::optional<std::string_view> since_t = query.Get("sinceTime");
  if (since_s && since_t) {
    return BadRequestError("at most one of sinceTime or sinceSeconds may be specified");
  }
  if (since_s) {
    std::optional<int64_t> n = ParseInt(*since_s);
    if (!n || *n <= 0) return BadRequestError("sinceSeconds must be a positive integer");
    o.since_ns = now_ns - *n * kNsPerSecond;
  }
  if (since_t) {
    Result<int64_t> t = ParseRfc3339Nano(*since_t);
    if (!t.ok()) return t.status().WithContext("sinceTime");
    o.since_ns = *t;
  }
  return o;
}

std::optional<CriRecord> ParseCriRecord(std::string_view line) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return std::nullopt;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return std::nullopt;
  CriRecord r;
  r.timestamp = line.substr(0, sp1);
  std::string_view stream = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (stream != "stdout" && stream != "stderr") return std::nullopt;
  r.stderr_stream = stream == "stderr";
  Result<int64_t> t = ParseRfc3339Nano(r.timestamp);
  if (!t.ok()) return std::nullopt;
  r.time_ns = *t;
  // The tag field may carry more flags after ':' ("F:x"); only the first letter matters here.
  size_t sp3 = line.find(' ', sp2 + 1);
  std::string_view tag =
      line.substr(sp2 + 1, sp3 == std::string_view::npos ? std::string_view::npos : sp3 - sp2 - 1);
  if (tag.empty() || (tag[0] != 'F' && tag[0] != 'P')) return std::nullopt;
  r.partial = tag[0] == 'P';
  r.message = sp3 == std::string_view::npos ? std::string_view() : line.substr(sp3 + 1);
  return r;
}

void LogDecoder::Record(std::string_view line, std::vector<std::string>* lines) {
  std::optional<CriRecord> r = ParseCriRecord(line);
  if (!r) return;
  Pending& p = pending_[r->stderr_stream ? 1 : 0];
  if (!p.active) {
    p.active = true;
    p.keep = !options_.since_ns || r->time_ns >= *options_.since_ns;
    p.text.clear();
    if (options_.timestamps) {
      p.text.append(r->timestamp);
      p.text.push_back(' ');
    }
  }
  if (p.keep) p.text.append(r->message);
  if (r->partial) return;
  p.active = false;
  if (!p.keep) return;
  p.text.push_back('\n');
  lines->push_back(std::move(p.text));
  p.text.clear();
}

void LogDecoder::Feed(std::string_view bytes, std::vector<std::string>* lines) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      carry_.append(bytes);
      return;
    }
    if (carry_.empty()) {
      Record(bytes.substr(0, nl), lines);
    } else {
      carry_.append(bytes.substr(0, nl));
      Record(carry_, lines);
      carry_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
}

void LogDecoder::Finish(std::vector<std::string>* lines) {
  if (!carry_.empty()) {
    Record(carry_, lines);
    carry_.clear();
  }
  for (Pending& p : pending_) {
    if (p.active && p.keep) lines->push_back(p.text);
    p = Pending{};
  }
}

Result<int64_t> TailStartOffset(int fd, int64_t size, int64_t n) {
  constexpr int64_t kBlock = 64 << 10;
  int64_t complete = 0;
  int64_t pos = size;
  std::string carry;  // the start of a line whose beginning lies before `pos`
  while (pos > 0) {
    int64_t start = pos > kBlock ? pos - kBlock : 0;
    std::string data(static_cast<size_t>(pos - start), '\0');
    ssize_t got = pread(fd, data.data(), data.size(), start);
    if (got != static_cast<ssize_t>(data.size())) {
      return InternalError(std::string("reading the log: ") + std::strerror(errno));
    }
    data += carry;
    size_t line_end = data.size();
    for (size_t i = data.size(); i-- > 0;) {
      if (data[i] != '\n') continue;
      if (i + 1 < line_end) {
        std::optional<CriRecord> r =
            ParseCriRecord(std::string_view(data).substr(i + 1, line_end - i - 1));
        if (r && !r->partial && line_end < data.size() && ++complete == n + 1) {
          return start + static_cast<int64_t>(line_end) + 1;
        }
      }
      line_end = i;
    }
    // The first line of the block continues into the previous one.
    std::optional<CriRecord> first =
        start == 0 ? ParseCriRecord(std::string_view(data).substr(0, line_end)) : std::nullopt;
    if (first && !first->partial && line_end < data.size() && ++complete == n + 1) {
      return static_cast<int64_t>(line_end) + 1;
    }
    // Keep the line's '\n' so offsets computed from `data` stay file offsets minus `start`.
    carry = data.substr(0, line_end < data.size() ? line_end + 1 : line_end);
    pos = start;
  }
  return 0;
}

Result<std::unique_ptr<LogReader>> LogReader::Open(const std::string& path, const LogOptions& o) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError("log file " + path + " not found");
    return InternalError("opening " + path + ": " + std::strerror(errno));
  }
  auto reader = std::unique_ptr<LogReader>(new LogReader(fd, o));
  int64_t size = lseek(fd, 0, SEEK_END);
  reader->initial_size_ = size > 0 ? size : 0;
  if (o.limit_bytes) reader->remaining_ = *o.limit_bytes;
  if (o.tail_lines) {
    Result<int64_t> start = TailStartOffset(fd, reader->initial_size_, *o.tail_lines);
    if (!start.ok()) return start.status();
    reader->offset_ = *start;
    reader->tail_pending_ = true;
  }
  return reader;
}

LogReader::~LogReader() { close(fd_); }

std::string LogReader::Emit(std::vector<std::string>* lines) {
  std::string out;
  for (std::string& l : *lines) {
    if (remaining_ == 0) break;
    if (remaining_ > 0 && static_cast<int64_t>(l.size()) > remaining_) {
      l.resize(static_cast<size_t>(remaining_));
    }
    if (remaining_ > 0) remaining_ -= static_cast<int64_t>(l.size());
    out += l;
  }
  lines->clear();
  return out;
}

Result<std::string> LogReader::Read(size_t max_bytes, bool* grew) {
  *grew = false;
  std::vector<std::string> lines;
  if (tail_pending_) {
    // The tail is bounded by the backward scan; read it whole and keep the last lines.
    tail_pending_ = false;
    std::string data(static_cast<size_t>(initial_size_ - offset_), '\0');
    ssize_t got = pread(fd_, data.data(), data.size(), offset_);
    if (got < 0) return InternalError(std::string("reading the log: ") + std::strerror(errno));
    data.resize(static_cast<size_t>(got));
    offset_ += got;
    *grew = got > 0;
    decoder_.Feed(data, &lines);
    std::deque<std::string> last;
    for (std::string& l : lines) {
      last.push_back(std::move(l));
      if (static_cast<int64_t>(last.size()) > *options_.tail_lines) last.pop_front();
    }
    lines.assign(std::make_move_iterator(last.begin()), std::make_move_iterator(last.end()));
    return Emit(&lines);
  }
  int64_t size = lseek(fd_, 0, SEEK_END);
  if (size < offset_) offset_ = 0;  // truncated: start over, as `tail -F` does
  if (size <= offset_) return std::string();
  size_t want = static_cast<size_t>(std::min<int64_t>(size - offset_, max_bytes));
  std::string data(want, '\0');
  ssize_t got = pread(fd_, data.data(), want, offset_);
  if (got < 0) return InternalError(std::string("reading the log: ") + std::strerror(errno));
  data.resize(static_cast<size_t>(got));
  offset_ += got;
  *grew = got > 0;
  decoder_.Feed(data, &lines);
  return Emit(&lines);
}

std::string LogReader::Finish() {
  std::vector<std::string> lines;
  decoder_.Finish(&lines);
  return Emit(&lines);
}

}  // namespace capstan::agent::server
