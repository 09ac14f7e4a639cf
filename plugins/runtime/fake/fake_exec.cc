// Runtime plugin `fake`: the simulated attached exec (`FakeRuntime::Exec`, fake_runtime.h) —
// a handful of commands played on the host's descriptors without any process.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "fake_runtime.h"

namespace capstan::plugins::fake_runtime {
bool WriteAll(int fd, std::string_view data) {
  if (fd < 0) return true;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

namespace {

using sdk::json::Json;

// `cat`: stdin to stdout until EOF, checking for cancellation every 50 ms.
sdk::Status Cat(sdk::Call& call, const sdk::ExecStreams& streams) {
  if (streams.stdin_fd < 0) return sdk::Status::Ok();
  char buf[4096];
  for (;;) {
    if (call.Cancelled()) return sdk::Status::DeadlineExceeded("exec cancelled");
    pollfd p{streams.stdin_fd, POLLIN, 0};
    int ready = poll(&p, 1, 50);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return sdk::Status::Error("poll on stdin failed");
    if (ready == 0) continue;
    ssize_t n = read(streams.stdin_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sdk::Status::Ok();  // EOF (or EIO on a terminal that closed)
    if (!WriteAll(streams.stdout_fd, std::string(buf, static_cast<size_t>(n)))) {
      return sdk::Status::Ok();
    }
  }
}

// `fake-terminal-size`: the first line the host writes to the resize pipe, on stdout.
sdk::Status TerminalSize(sdk::Call& call, const sdk::ExecStreams& streams) {
  if (streams.resize_fd < 0) {
    WriteAll(streams.stdout_fd, "no terminal sizes\r\n");
    return sdk::Status::Ok();
  }
  std::string line;
  char c = 0;
  while (line.empty() || line.back() != '\n') {
    if (call.Cancelled()) return sdk::Status::DeadlineExceeded("exec cancelled");
    pollfd p{streams.resize_fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    if (read(streams.resize_fd, &c, 1) != 1) break;
    line.push_back(c);
  }
  if (!line.empty() && line.back() == '\n') line.pop_back();
  WriteAll(streams.stdout_fd, "size " + line + "\r\n");
  return sdk::Status::Ok();
}

}  // namespace

sdk::Status FakeRuntime::Exec(sdk::Call& call, std::string_view request_json,
                              const sdk::ExecStreams& streams, int32_t* exit_code) {
  std::optional<Json> req = sdk::json::Parse(request_json.empty() ? "{}" : request_json);
  if (!req || !req->is_object()) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "containerId").value_or("");
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return sdk::Status::NotFound("container " + id + " not found");
    AdvanceLocked(&it->second, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
    if (it->second.state != "CONTAINER_RUNNING") {
      return sdk::Status::Invalid("container " + id + " is not running");
    }
  }
  std::vector<std::string> cmd;
  if (const Json* arr = sdk::json::GetArray(*req, "cmd")) {
    for (const Json& a : *arr) cmd.push_back(a.is_string() ? a.get<std::string>() : "");
  }
  if (cmd.empty()) return sdk::Status::Invalid("cmd is required");
  int err_fd = streams.tty ? streams.stdout_fd : streams.stderr_fd;
  *exit_code = 0;
  if (cmd[0] == "echo") {
    std::string line;
    for (size_t i = 1; i < cmd.size(); ++i) line += (i > 1 ? " " : "") + cmd[i];
    WriteAll(streams.stdout_fd, line + (streams.tty ? "\r\n" : "\n"));
  } else if (cmd[0] == "cat" && cmd.size() == 1) {
    return Cat(call, streams);
  } else if (cmd[0] == "sh" && cmd.size() == 3 && cmd[1] == "-c" && cmd[2].rfind("exit ", 0) == 0) {
    *exit_code = std::atoi(cmd[2].c_str() + 5);
  } else if (cmd[0] == "fake-terminal-size") {
    return TerminalSize(call, streams);
  } else if (cmd[0] == "fake-stderr") {
    WriteAll(err_fd, (cmd.size() > 1 ? cmd[1] : "") + "\n");
  } else if (cmd[0] == "fake-exit" && cmd.size() >= 2) {
    *exit_code = std::atoi(cmd[1].c_str());
    if (cmd.size() >= 3) WriteAll(streams.stdout_fd, cmd[2] + "\n");
  } else {
    WriteAll(err_fd, cmd[0] + ": not found\n");
    *exit_code = 127;
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins::fake_runtime
