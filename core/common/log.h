// Structured logging with levels: one line per record, `ts=... level=... component=... msg="..."
// key=value...` (logfmt), written to stderr or a configured sink. Thread-safe: records from
// concurrent threads never interleave. Implementation in log.cc; tests in tests/core/common.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace capstan::log {

enum class Level : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug" | "info" | "warn" | "error" (case-insensitive). Returns false on anything else.
bool ParseLevel(std::string_view text, Level* out);
std::string_view LevelName(Level level);

// Records below `level` are dropped before formatting. Default: kInfo.
void SetLevel(Level level);
Level GetLevel();
inline bool Enabled(Level level) { return static_cast<int>(level) >= static_cast<int>(GetLevel()); }

// Replaces the sink (default: stderr). The sink receives whole formatted lines without '\n' and
// is called under the logger's mutex, so it must not log itself (that deadlocks). Pass nullptr
// to restore stderr. Thread-safe; for tests and daemons.
void SetSink(std::function<void(std::string_view line)> sink);

using Field = std::pair<std::string_view, std::string_view>;

// Emits one record. Values are quoted when empty or when they contain spaces, quotes, '=',
// backslashes or control characters; inside quotes, quotes and backslashes are escaped, newline,
// CR and tab become \n \r \t and other control bytes \u00XX. `msg` is always quoted. Keys are
// ours, not user input: characters that would break the line become '_'. Other bytes (UTF-8)
// pass through. The timestamp is UTC with milliseconds.
void Write(Level level, std::string_view component, std::string_view msg,
           std::initializer_list<Field> fields = {});

inline void Debug(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, c, m, f);
}
inline void Info(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kInfo)) Write(Level::kInfo, c, m, f);
}
inline void Warn(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kWarn)) Write(Level::kWarn, c, m, f);
}
inline void Error(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kError, c, m, f);
}

}  // namespace capstan::log
