// Logfmt records for log.h: formatting happens outside the lock, the sink runs under it, so
// lines from concurrent threads never interleave. Tests in tests/core/common/log_test.cc.
#include "core/common/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <mutex>

namespace capstan::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

// Guards `Sink()` and every call into it.
std::mutex& SinkMutex() {
  static auto* mu = new std::mutex;  // never destroyed: records may come during exit
  return *mu;
}
std::function<void(std::string_view)>& Sink() {
  static auto* sink = new std::function<void(std::string_view)>;
  return *sink;
}

void WriteStderr(std::string_view line) {
  std::string buffer(line);
  buffer += '\n';
  const char* p = buffer.data();
  size_t left = buffer.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report a failing stderr
    p += n;
    left -= static_cast<size_t>(n);
  }
}

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

void AppendQuoted(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void AppendValue(std::string& out, std::string_view value) {
  if (NeedsQuotes(value)) {
    AppendQuoted(out, value);
  } else {
    out += value;
  }
}

// Keys are identifiers chosen by our code; characters that would break the line become '_'.
void AppendKey(std::string& out, std::string_view key) {
  if (key.empty()) {
    out += '_';
    return;
  }
  for (char c : key) {
    auto u = static_cast<unsigned char>(c);
    bool bad = c == ' ' || c == '"' || c == '=' || u < 0x20 || u == 0x7f;
    out += bad ? '_' : c;
  }
}

// "2026-11-22T06:55:01.123Z" (UTC, milliseconds).
void AppendTimestamp(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  size_t n = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &tm);
  out.append(buffer, n);
  out += '.';
  out += static_cast<char>('0' + millis / 100);
  out += static_cast<char>('0' + millis / 10 % 10);
  out += static_cast<char>('0' + millis % 10);
  out += 'Z';
}

}  // namespace

bool ParseLevel(std::string_view text, Level* out) {
  auto equals = [&](std::string_view name) {
    if (text.size() != name.size()) return false;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != name[i]) return false;
    }
    return true;
  };
  for (Level level : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (equals(LevelName(level))) {
      *out = level;
      return true;
    }
  }
  return false;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "unknown";
}

void SetLevel(Level level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

Level GetLevel() { return static_cast<Level>(g_level.load(std::memory_order_relaxed)); }

void SetSink(std::function<void(std::string_view line)> sink) {
  std::lock_guard<std::mutex> lock(SinkMutex());
  Sink() = std::move(sink);
}

void Write(Level level, std::string_view component, std::string_view msg,
           std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(64 + component.size() + msg.size() + fields.size() * 24);
  line += "ts=";
  AppendTimestamp(line);
  line += " level=";
  line += LevelName(level);
  line += " component=";
  AppendValue(line, component);
  // msg is always quoted so that records look alike and grep patterns stay simple.
  line += " msg=";
  AppendQuoted(line, msg);
  for (const Field& field : fields) {
    line += ' ';
    AppendKey(line, field.first);
    line += '=';
    AppendValue(line, field.second);
  }
  std::lock_guard<std::mutex> lock(SinkMutex());
  const auto& sink = Sink();
  if (sink) {
    sink(line);
  } else {
    WriteStderr(line);
  }
}

}  // namespace capstan::log
