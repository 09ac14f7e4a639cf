// Container logs as the kubelet serves them: query options (follow, tailLines, sinceSeconds,
// sinceTime, timestamps, previous, limitBytes), the CRI log record format the runtimes write
// ("<RFC3339Nano> stdout|stderr F|P <msg>"), and `LogReader`, which turns a log file into the
// plain text `kubectl logs` prints. Served by agent_server.cc (log_stream.cc follows files);
// tests in tests/core/agent/server/container_logs_test.cc.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/apiserver/http_request.h"
#include "core/common/status.h"

namespace capstan::agent::server {

struct LogOptions {
  bool follow = false;
  bool timestamps = false;
  bool previous = false;
  std::optional<int64_t> tail_lines;   // >= 0; unset: everything
  std::optional<int64_t> since_ns;     // Unix ns; records older than this are skipped
  std::optional<int64_t> limit_bytes;  // > 0; output stops after this many bytes
};

// Reads the kubelet's query parameters. `now_ns` (Unix ns) anchors sinceSeconds. Errors:
// kBadRequest naming the parameter for malformed values, negative tailLines, non-positive
// sinceSeconds/limitBytes, or both sinceSeconds and sinceTime.
Result<LogOptions> ParseLogOptions(const apiserver::FieldList& query, int64_t now_ns);

// "2026-01-02T03:04:05.123456789Z" (or with a +hh:mm offset, any fraction length) as Unix ns.
// Errors: kBadRequest.
Result<int64_t> ParseRfc3339Nano(std::string_view text);

// One record of a CRI log file; views into the parsed line.
struct CriRecord {
  std::string_view timestamp;  // as written
  int64_t time_ns = 0;
  bool stderr_stream = false;
  bool partial = false;  // tag P: the line continues in the stream's next record
  std::string_view message;
};

// Parses one line (without its '\n'). nullopt when it is not a CRI record.
std::optional<CriRecord> ParseCriRecord(std::string_view line);

// Decodes CRI records into output lines: partial (P) records are joined with the rest of their
// stream's line; `since_ns` drops older lines; `timestamps` prefixes each line with the
// timestamp of its first record. Malformed records are skipped (as the kubelet does).
// Not thread-safe; one per stream.
class LogDecoder {
 public:
  explicit LogDecoder(const LogOptions& options) : options_(options) {}

  // Feeds raw file bytes (any split); appends each completed output line, ending in '\n'.
  void Feed(std::string_view bytes, std::vector<std::string>* lines);
  // End of input: a trailing record without '\n' and joined partial lines are emitted too.
  void Finish(std::vector<std::string>* lines);

 private:
  void Record(std::string_view line, std::vector<std::string>* lines);

  LogOptions options_;
  std::string carry_;  // an incomplete record (no '\n' yet)
  struct Pending {
    std::string text;  // the joined partial records so far, prefixed when timestamps
    bool active = false;
    bool keep = true;  // false when the line's first record is older than since
  };
  Pending pending_[2];  // stdout, stderr
};

// Where `tailLines` lines of the file start: the offset just after the (n+1)-th complete (F)
// record from the end, found by reading backwards in blocks (0 when the file is shorter).
// Errors: kInternal for read errors.
Result<int64_t> TailStartOffset(int fd, int64_t size, int64_t n);

// Reads one container log file for one request: first what exists (with tailLines applied),
// then, when following, what is appended. Keeps the file open across renames. Not thread-safe;
// one owner.
class LogReader {
 public:
  // Opens `path` and positions at the tail start. Errors: kNotFound when the file is missing.
  static Result<std::unique_ptr<LogReader>> Open(const std::string& path, const LogOptions& o);
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // Reads up to `max_bytes` of new file data and returns the output text it completes (limit
  // applied). `*grew` tells whether any byte was read. With tailLines, the first call returns
  // only the last lines of what existed at Open. Errors: kInternal on read errors.
  Result<std::string> Read(size_t max_bytes, bool* grew);
  // End of input (the container is gone): the output of anything left incomplete.
  std::string Finish();
  // True once limitBytes worth of output was produced; the request is then complete.
  bool limit_reached() const { return remaining_ == 0; }
  // True while data written before Open is still unread.
  bool catching_up() const { return offset_ < initial_size_; }

 private:
  LogReader(int fd, const LogOptions& o) : fd_(fd), options_(o), decoder_(o) {}
  std::string Emit(std::vector<std::string>* lines);

  int fd_;
  LogOptions options_;
  LogDecoder decoder_;
  int64_t offset_ = 0;
  int64_t initial_size_ = 0;
  bool tail_pending_ = false;  // the tail read is still to be done
  int64_t remaining_ = -1;     // output bytes left under limitBytes; -1: no limit
};

}  // namespace capstan::agent::server
