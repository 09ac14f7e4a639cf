// Runtime plugin `runc`: listing with CRI filters and `runc exec` (ExecSync, attached Exec) —
// the read-mostly half of RuncRuntime (runc_runtime.h); the lifecycle is in runc_runtime.cc.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <optional>

#include "process.h"
#include "runc_runtime.h"

namespace capstan::plugins::runc_runtime {
namespace {

using sdk::json::Json;

std::optional<Json> ParseRequest(std::string_view request_json) {
  std::optional<Json> j = sdk::json::Parse(request_json.empty() ? "{}" : request_json);
  if (j && !j->is_object()) return std::nullopt;
  return j;
}

std::string FilterString(const Json* filter, const char* key) {
  return filter != nullptr ? sdk::json::GetString(*filter, key).value_or("") : "";
}

// The wanted state of a CRI filter ({"state": {"state": "X"}}), or "".
std::string FilterState(const Json* filter) {
  const Json* state = filter != nullptr ? sdk::json::GetObject(*filter, "state") : nullptr;
  return state != nullptr ? sdk::json::GetString(*state, "state").value_or("") : "";
}

// True when every pair of the filter's labelSelector is among `labels`.
bool LabelsMatch(const Json* filter, const Json& labels) {
  const Json* sel = filter != nullptr ? sdk::json::GetObject(*filter, "labelSelector") : nullptr;
  if (sel == nullptr) return true;
  for (const auto& [k, v] : sel->items()) {
    const Json* have = sdk::json::Find(labels, k);
    if (have == nullptr || *have != v) return false;
  }
  return true;
}

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
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  const Json* filter = sdk::json::GetObject(*req, "filter");
  std::string want_id = FilterString(filter, "id");
  std::string want_state = FilterState(filter);
  Json items = Json::array();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, s] : sandboxes_) {
    Json item = SandboxJson(s);
    if (!want_id.empty() && id != want_id) continue;
    if (!want_state.empty() && item["state"] != want_state) continue;
    if (!LabelsMatch(filter, s.labels)) continue;
    items.push_back(std::move(item));
  }
  *response_json = sdk::json::Dump(Json{{"items", items}});
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::ListContainers(sdk::Call&, std::string_view request_json,
                                        std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  const Json* filter = sdk::json::GetObject(*req, "filter");
  std::string want_id = FilterString(filter, "id");
  std::string want_sandbox = FilterString(filter, "podSandboxId");
  std::string want_state = FilterState(filter);
  std::vector<ContainerRecord> records;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, c] : containers_) {
      if (!want_id.empty() && id != want_id) continue;
      if (!want_sandbox.empty() && c.sandbox_id != want_sandbox) continue;
      if (!LabelsMatch(filter, c.labels)) continue;
      records.push_back(c);
    }
  }
  Json items = Json::array();
  for (const ContainerRecord& c : records) {
    Json item = ContainerJson(c);
    if (!want_state.empty() && item["state"] != want_state) continue;
    items.push_back(std::move(item));
  }
  *response_json = sdk::json::Dump(Json{{"containers", items}});
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::ExecSync(sdk::Call& call, std::string_view request_json,
                                  std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "containerId").value_or("");
  const Json* cmd = sdk::json::GetArray(*req, "cmd");
  if (cmd == nullptr || cmd->empty()) return sdk::Status::Invalid("cmd is required");
  ContainerRecord c;
  if (!FindContainer(id, &c)) return sdk::Status::NotFound("container " + id + " not found");
  std::string pid_file = BundleDir(id) + "/exec-" + std::to_string(MonotonicNs()) + ".pid";
  std::vector<std::string> argv = {runc_path_, "--root", state_dir_ + "/runc", "exec", "--pid-file",
                                   pid_file,   id};
  for (const Json& a : *cmd) argv.push_back(sdk::json::AsString(a).value_or(""));
  CommandOptions opts;
  int64_t timeout_s = sdk::json::GetInt(*req, "timeout").value_or(0);
  opts.deadline_mono_ns = call.deadline_mono_ns();
  if (timeout_s > 0) {
    int64_t t = MonotonicNs() + timeout_s * 1'000'000'000;
    if (opts.deadline_mono_ns == 0 || t < opts.deadline_mono_ns) opts.deadline_mono_ns = t;
  }
  opts.cancelled = [&call] { return call.Cancelled(); };
  opts.on_kill = [&pid_file] { KillExecProcess(pid_file); };
  CommandResult r;
  sdk::Status st = RunCommand(argv, opts, &r);
  unlink(pid_file.c_str());
  CAPSTAN_SDK_RETURN_IF_ERROR(st);
  *response_json = sdk::json::Dump(
      Json{{"exitCode", r.exit_code}, {"stdout", Base64(r.out)}, {"stderr", Base64(r.err)}});
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::Exec(sdk::Call& call, std::string_view request_json,
                              const sdk::ExecStreams& streams, int32_t* exit_code) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "containerId").value_or("");
  const Json* cmd = sdk::json::GetArray(*req, "cmd");
  if (cmd == nullptr || cmd->empty()) return sdk::Status::Invalid("cmd is required");
  ContainerRecord c;
  if (!FindContainer(id, &c)) return sdk::Status::NotFound("container " + id + " not found");
  std::string pid_file = BundleDir(id) + "/exec-" + std::to_string(MonotonicNs()) + ".pid";
  std::vector<std::string> argv = {runc_path_, "--root", state_dir_ + "/runc", "exec", "--pid-file",
                                   pid_file,   id};
  for (const Json& a : *cmd) argv.push_back(sdk::json::AsString(a).value_or(""));
  CommandOptions opts;
  opts.attach = true;
  opts.stdin_fd = streams.stdin_fd;
  opts.stdout_fd = streams.stdout_fd;
  // With a terminal requested, stdout carries both streams (no pty is allocated).
  opts.stderr_fd = streams.tty ? streams.stdout_fd : streams.stderr_fd;
  opts.deadline_mono_ns = call.deadline_mono_ns();
  opts.cancelled = [&call] { return call.Cancelled(); };
  opts.on_kill = [&pid_file] { KillExecProcess(pid_file); };
  CommandResult r;
  sdk::Status st = RunCommand(argv, opts, &r);
  unlink(pid_file.c_str());
  CAPSTAN_SDK_RETURN_IF_ERROR(st);
  *exit_code = r.exit_code;
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins::runc_runtime
