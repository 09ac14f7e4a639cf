// Runtime plugin `runc`: listing with CRI filters and `runc exec` (ExecSync, attached Exec) —
// the read-mostly half of RuncRuntime (runc_runtime.h); the lifecycle is in runc_runtime.cc.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <optional>

#include "process.h"
#include "runc_runtime.h"
#include "tty_exec.h"

namespace capstan::plugins::runc_runtime {
namespace {

using sdk::json::Json;

// A CRI list filter: {"id", "podSandboxId", "state": {"state"}, "labelSelector": {k: v}}.
class ListFilter {
 public:
  explicit ListFilter(const Json& req) {
    const Json* f = sdk::json::GetObject(req, "filter");
    if (f == nullptr) return;
    id_ = sdk::json::GetString(*f, "id").value_or("");
    sandbox_ = sdk::json::GetString(*f, "podSandboxId").value_or("");
    if (const Json* state = sdk::json::GetObject(*f, "state")) {
      state_ = sdk::json::GetString(*state, "state").value_or("");
    }
    labels_ = sdk::json::GetObject(*f, "labelSelector");
  }
  // True when every set criterion holds for an item (`sandbox` "" for sandboxes themselves).
  bool Matches(const Json& item, const std::string& sandbox, const Json& labels) const {
    if (!id_.empty() && item["id"] != id_) return false;
    if (!sandbox_.empty() && sandbox != sandbox_) return false;
    if (!state_.empty() && item["state"] != state_) return false;
    if (labels_ == nullptr) return true;
    for (const auto& [k, v] : labels_->items()) {
      const Json* have = sdk::json::Find(labels, k);
      if (have == nullptr || *have != v) return false;
    }
    return true;
  }

 private:
  std::string id_, sandbox_, state_;
  const Json* labels_ = nullptr;  // points into the request, which outlives the filter
};

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Kills the process `runc exec` started (its pid is in `pid_file`) — killing runc alone would
// leave it running in the container.
void KillExecProcess(const std::string& pid_file) {
  std::ifstream in(pid_file);
  pid_t pid = 0;
  if (in >> pid && pid > 0) kill(pid, SIGKILL);
}

}  // namespace

sdk::Status RuncRuntime::ListPodSandbox(sdk::Call&, std::string_view request_json,
                                        std::string* response_json) {
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  ListFilter filter(req);
  Json items = Json::array();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, s] : sandboxes_) {
    Json item = SandboxJson(s);
    if (filter.Matches(item, "", s.labels)) items.push_back(std::move(item));
  }
  *response_json = sdk::json::Dump(Json{{"items", items}});
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::ListContainers(sdk::Call&, std::string_view request_json,
                                        std::string* response_json) {
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  ListFilter filter(req);
  std::vector<ContainerRecord> records;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, c] : containers_) records.push_back(c);
  }
  // Observing reads files and /proc; done outside the lock.
  Json items = Json::array();
  for (const ContainerRecord& c : records) {
    Json item = ContainerJson(c);
    if (filter.Matches(item, c.sandbox_id, c.labels)) items.push_back(std::move(item));
  }
  *response_json = sdk::json::Dump(Json{{"containers", items}});
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::ExecTarget(std::string_view request_json, Json* req, const Json** cmd,
                                    ContainerRecord* container) {
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, req));
  *cmd = sdk::json::GetArray(*req, "cmd");
  if (*cmd == nullptr || (*cmd)->empty()) return sdk::Status::Invalid("cmd is required");
  return RequestedContainer(*req, container);
}

sdk::Status RuncRuntime::RunExec(sdk::Call& call, std::string_view request_json,
                                 CommandOptions options, CommandResult* result) {
  Json req;
  const Json* cmd = nullptr;
  ContainerRecord c;
  CAPSTAN_SDK_RETURN_IF_ERROR(ExecTarget(request_json, &req, &cmd, &c));
  std::string pid_file = BundleDir(c.id) + "/exec-" + std::to_string(MonotonicNs()) + ".pid";
  std::vector<std::string> argv = {runc_path_, "--root", state_dir_ + "/runc", "exec", "--pid-file",
                                   pid_file,   c.id};
  for (const Json& a : *cmd) argv.push_back(sdk::json::AsString(a).value_or(""));
  options.deadline_mono_ns = call.deadline_mono_ns();
  int64_t timeout_s = sdk::json::GetInt(req, "timeout").value_or(0);
  if (timeout_s > 0) {
    int64_t t = MonotonicNs() + timeout_s * 1'000'000'000;
    if (options.deadline_mono_ns == 0 || t < options.deadline_mono_ns) options.deadline_mono_ns = t;
  }
  options.cancelled = [&call] { return call.Cancelled(); };
  options.on_kill = [&pid_file] { KillExecProcess(pid_file); };
  sdk::Status st = RunCommand(argv, options, result);
  unlink(pid_file.c_str());
  return st;
}

sdk::Status RuncRuntime::ExecSync(sdk::Call& call, std::string_view request_json,
                                  std::string* response_json) {
  CommandResult r;
  CAPSTAN_SDK_RETURN_IF_ERROR(RunExec(call, request_json, CommandOptions{}, &r));
  *response_json = sdk::json::Dump(
      Json{{"exitCode", r.exit_code}, {"stdout", Base64(r.out)}, {"stderr", Base64(r.err)}});
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::Exec(sdk::Call& call, std::string_view request_json,
                              const sdk::ExecStreams& streams, int32_t* exit_code) {
  if (streams.tty && streams.resize_fd >= 0) {
    return ExecWithTerminal(call, request_json, streams, exit_code);
  }
  CommandOptions opts;
  opts.attach = true;
  opts.stdin_fd = streams.stdin_fd;
  opts.stdout_fd = streams.stdout_fd;
  // An older host's terminal request: stdout carries both streams, without a pty.
  opts.stderr_fd = streams.tty ? streams.stdout_fd : streams.stderr_fd;
  CommandResult r;
  CAPSTAN_SDK_RETURN_IF_ERROR(RunExec(call, request_json, std::move(opts), &r));
  *exit_code = r.exit_code;
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::ExecWithTerminal(sdk::Call& call, std::string_view request_json,
                                          const sdk::ExecStreams& streams, int32_t* exit_code) {
  Json req;
  const Json* cmd = nullptr;
  ContainerRecord c;
  CAPSTAN_SDK_RETURN_IF_ERROR(ExecTarget(request_json, &req, &cmd, &c));
  std::unique_ptr<ConsoleSocket> console;
  CAPSTAN_SDK_RETURN_IF_ERROR(ConsoleSocket::Open(state_dir_, &console));
  std::string pid_file = BundleDir(c.id) + "/exec-" + std::to_string(MonotonicNs()) + ".pid";
  std::vector<std::string> argv = {
      runc_path_,         "--root",        state_dir_ + "/runc", "exec",   "--detach", "--tty",
      "--console-socket", console->path(), "--pid-file",         pid_file, c.id};
  for (const Json& a : *cmd) argv.push_back(sdk::json::AsString(a).value_or(""));
  TtyRelay relay(console->fd(), streams.stdin_fd, streams.stdout_fd, streams.resize_fd);
  int code = -1;
  // runc's own messages (an unknown command, a stopped container) reach the user on stdout.
  sdk::Status st = RunDetachedExec(
      argv, pid_file, streams.stdout_fd, [&relay](int timeout_ms) { relay.Pump(timeout_ms); },
      [&call] { return call.Cancelled(); }, [&pid_file] { KillExecProcess(pid_file); }, &code);
  unlink(pid_file.c_str());
  CAPSTAN_SDK_RETURN_IF_ERROR(st);
  // The process ended; its last output may still sit in the terminal.
  relay.Drain(100, 2000);
  *exit_code = code;
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins::runc_runtime
