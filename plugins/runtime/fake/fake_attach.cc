// Runtime plugin `fake`: attach (`FakeRuntime::Attach`, fake_runtime.h) — a container created
// with stdin echoes it into its CRI log as `cat` would, so `kubectl attach -i` and `run -i` work
// on hollow nodes; and the empty log every running simulated container has.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>

#include "fake_runtime.h"

namespace capstan::plugins::fake_runtime {
namespace {

using sdk::json::Json;

// RFC 3339 with nanoseconds in UTC, the CRI log timestamp.
std::string LogTimestamp() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<long long>(ns % 1'000'000'000));
  return buf;
}

// Appends `data` as CRI stdout records: one full ("F") record per line, the unterminated rest
// as a partial ("P") record. Returns false when the log cannot be written.
bool AppendRecords(int fd, const std::string& data) {
  std::string out;
  size_t start = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    bool full = nl != std::string::npos;
    size_t end = full ? nl : data.size();
    out += LogTimestamp() + (full ? " stdout F " : " stdout P ") + data.substr(start, end - start) +
           "\n";
    start = full ? nl + 1 : end;
  }
  return WriteAll(fd, out);
}

}  // namespace

void FakeRuntime::CreateLogFile(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd >= 0) close(fd);
}

sdk::Status FakeRuntime::Attach(sdk::Call& call, std::string_view request_json,
                                const sdk::ExecStreams& streams) {
  std::optional<Json> req = sdk::json::Parse(request_json.empty() ? "{}" : request_json);
  if (!req || !req->is_object()) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "containerId").value_or("");
  std::string log_file;
  bool stdin_once = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return sdk::Status::NotFound("container " + id + " not found");
    Container& c = it->second;
    AdvanceLocked(&c, NowNs());
    if (c.state != "CONTAINER_RUNNING") {
      return sdk::Status::Invalid("container " + id + " is not running");
    }
    if (!sdk::json::GetBool(c.config, "stdin").value_or(false)) {
      return sdk::Status::Invalid("container " + id + " was not created with stdin");
    }
    if (c.stdin_closed) return sdk::Status::Invalid("container " + id + " has closed its stdin");
    log_file = c.log_file;
    stdin_once = sdk::json::GetBool(c.config, "stdinOnce").value_or(false) &&
                 !sdk::json::GetBool(c.config, "tty").value_or(false);
  }
  int log_fd = log_file.empty() ? -1 : open(log_file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  auto running = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return false;
    AdvanceLocked(&it->second, NowNs());
    return it->second.state == "CONTAINER_RUNNING";
  };
  sdk::Status result = sdk::Status::Ok();
  char buf[4096];
  while (streams.stdin_fd >= 0) {
    if (call.Cancelled()) {
      result = sdk::Status::DeadlineExceeded("attach cancelled");
      break;
    }
    if (!running()) break;
    pollfd p{streams.stdin_fd, POLLIN, 0};
    int ready = poll(&p, 1, 50);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      result = sdk::Status::Error("poll on stdin failed");
      break;
    }
    if (ready == 0) continue;
    ssize_t n = read(streams.stdin_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF (or EIO on a terminal that closed)
    if (log_fd >= 0 && !AppendRecords(log_fd, std::string(buf, static_cast<size_t>(n)))) break;
  }
  if (log_fd >= 0) close(log_fd);
  if (stdin_once && result.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = containers_.find(id);
    if (it != containers_.end() && it->second.state == "CONTAINER_RUNNING") {
      it->second.stdin_closed = true;
      it->second.state = "CONTAINER_EXITED";  // `cat` ends at EOF
      it->second.finished_at = NowNs();
      it->second.exit_code = 0;
    }
  }
  return result;
}

}  // namespace capstan::plugins::fake_runtime
