// AttachLog (attach_log.h).
#include "core/agent/server/attach_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <optional>
#include <string_view>
#include <vector>

#include "core/agent/server/container_logs.h"
#include "core/agent/server/container_target.h"

namespace capstan::agent::server {

AttachLog::~AttachLog() {
  if (fd_ >= 0) close(fd_);
}

Status AttachLog::Open(const std::string& log_dir) {
  std::vector<int> attempts = LogAttempts(log_dir);
  if (attempts.empty()) return BadRequestError("the container has no log yet");
  attempt_ = attempts.back();
  std::string path = log_dir + "/" + std::to_string(attempt_) + ".log";
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return NotFoundError("log file " + path + " not found");
  offset_ = lseek(fd_, 0, SEEK_END);
  return Status::Ok();
}

bool AttachLog::Poll(const std::function<void(bool is_stderr, std::string text)>& emit) {
  if (fd_ < 0) return false;
  char buf[64 << 10];
  ssize_t n;
  bool grew = false;
  while ((n = pread(fd_, buf, sizeof(buf), offset_)) > 0) {
    offset_ += n;
    grew = true;
    carry_.append(buf, static_cast<size_t>(n));
  }
  size_t start = 0, nl;
  while ((nl = carry_.find('\n', start)) != std::string::npos) {
    std::optional<CriRecord> r = ParseCriRecord(std::string_view(carry_).substr(start, nl - start));
    start = nl + 1;
    if (!r) continue;
    std::string text(r->message);
    if (!r->partial) text.push_back('\n');
    emit(r->stderr_stream, std::move(text));
  }
  carry_.erase(0, start);
  return grew;
}

}  // namespace capstan::agent::server
