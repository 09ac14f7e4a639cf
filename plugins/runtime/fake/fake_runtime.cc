// Runtime plugin `fake`: the simulated CRI state machine (see fake_runtime.h).
#include "fake_runtime.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

namespace capstan::plugins::fake_runtime {
namespace {

using sdk::json::Json;

// The request as an object; "" reads as {}.
std::optional<Json> ParseRequest(std::string_view request_json) {
  std::optional<Json> j = sdk::json::Parse(request_json.empty() ? "{}" : request_json);
  if (j && !j->is_object()) return std::nullopt;
  return j;
}

// The member `key` of an object, or an empty object.
Json ObjectOrEmpty(const Json* parent, std::string_view key) {
  const Json* v = parent != nullptr ? sdk::json::GetObject(*parent, key) : nullptr;
  return v != nullptr ? *v : Json::object();
}

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << 16) |
                 (static_cast<uint32_t>(static_cast<uint8_t>(in[i + 1])) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(n >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t n = static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint32_t>(static_cast<uint8_t>(in[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Whether a RunPodSandbox config asks for the node's network namespace (NODE = 2).
bool HostNetwork(const Json* config) {
  const Json* linux = config != nullptr ? sdk::json::GetObject(*config, "linux") : nullptr;
  const Json* sc = linux != nullptr ? sdk::json::GetObject(*linux, "securityContext") : nullptr;
  const Json* ns = sc != nullptr ? sdk::json::GetObject(*sc, "namespaceOptions") : nullptr;
  return ns != nullptr && sdk::json::GetInt(*ns, "network").value_or(0) == 2;
}

// proto3 JSON renders int64 as a string.
std::string Int64(int64_t v) { return std::to_string(v); }

// The wanted state of a CRI filter ({"state": {"state": "X"}}), or "".
std::string FilterState(const Json* filter) {
  const Json* state = filter != nullptr ? sdk::json::GetObject(*filter, "state") : nullptr;
  return state != nullptr ? sdk::json::GetString(*state, "state").value_or("") : "";
}

}  // namespace

sdk::Status FakeRuntime::Init(const sdk::Host& host, std::string_view config_json) {
  (void)host;
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  max_sandboxes_ = sdk::json::GetInt(*config, "maxSandboxes").value_or(max_sandboxes_);
  start_latency_ms_ = sdk::json::GetInt(*config, "startLatencyMs").value_or(0);
  netns_dir_ = sdk::json::GetString(*config, "netnsDir").value_or("");
  std::string cidr = sdk::json::GetString(*config, "podCidr").value_or("10.244.0.0/24");
  if (cidr.size() < 9 || cidr.compare(cidr.size() - 5, 5, ".0/24") != 0) {
    return sdk::Status::Invalid("podCidr '" + cidr + "' is not an a.b.c.0/24 network");
  }
  cidr_prefix_ = cidr.substr(0, cidr.size() - 4);
  if (const Json* rules = sdk::json::GetArray(*config, "exitRules")) {
    for (const Json& r : *rules) {
      if (!r.is_object()) return sdk::Status::Invalid("exitRules items must be objects");
      ExitRule rule;
      rule.image_contains = sdk::json::GetString(r, "imageContains").value_or("");
      if (rule.image_contains.empty()) return sdk::Status::Invalid("imageContains is required");
      rule.after_ms = sdk::json::GetInt(r, "afterMs").value_or(rule.after_ms);
      rule.exit_code = static_cast<int32_t>(sdk::json::GetInt(r, "exitCode").value_or(0));
      exit_rules_.push_back(std::move(rule));
    }
  } else {
    exit_rules_ = {ExitRule{"exit-0", 100, 0}, ExitRule{"crash", 100, 1}};
  }
  return sdk::Status::Ok();
}

int64_t FakeRuntime::NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FakeRuntime::PodIp(int host) const { return cidr_prefix_ + std::to_string(host); }

void FakeRuntime::AdvanceLocked(Container* c, int64_t now_ns) const {
  if (c->state != "CONTAINER_RUNNING") return;
  for (const ExitRule& rule : exit_rules_) {
    if (c->image.find(rule.image_contains) == std::string::npos) continue;
    int64_t exit_at = c->started_at + rule.after_ms * 1'000'000;
    if (now_ns >= exit_at) {
      c->state = "CONTAINER_EXITED";
      c->finished_at = exit_at;
      c->exit_code = rule.exit_code;
    }
    return;
  }
}

Json FakeRuntime::SandboxJson(const std::string& id, const Sandbox& s) const {
  return Json{{"id", id},
              {"metadata", s.metadata},
              {"state", s.ready ? "SANDBOX_READY" : "SANDBOX_NOTREADY"},
              {"createdAt", Int64(s.created_at)},
              {"network", {{"ip", PodIp(s.ip_host)}}},
              {"labels", s.labels},
              {"annotations", s.annotations}};
}

Json FakeRuntime::ContainerJson(const std::string& id, const Container& c) const {
  return Json{{"id", id},
              {"podSandboxId", c.sandbox_id},
              {"metadata", c.metadata},
              {"image", {{"image", c.image}}},
              {"imageRef", c.image},
              {"state", c.state},
              {"createdAt", Int64(c.created_at)},
              {"startedAt", Int64(c.started_at)},
              {"finishedAt", Int64(c.finished_at)},
              {"exitCode", c.exit_code},
              {"logPath", c.log_path}};
}

void FakeRuntime::StopLocked(Container* c) {
  int64_t now = NowNs();
  AdvanceLocked(c, now);
  if (c->state == "CONTAINER_EXITED") return;
  c->state = "CONTAINER_EXITED";
  c->finished_at = now;
  // A stopped simulated process ends as if by SIGTERM (128 + 15), as a real one would.
  c->exit_code = c->started_at != 0 ? 143 : 0;
}

sdk::Status FakeRuntime::RunPodSandbox(sdk::Call&, std::string_view request_json,
                                       std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  const Json* config = sdk::json::GetObject(*req, "config");
  Json metadata = ObjectOrEmpty(config, "metadata");
  if (!sdk::json::GetString(metadata, "name")) {
    return sdk::Status::Invalid("config.metadata.name is required");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (static_cast<int64_t>(sandboxes_.size()) >= max_sandboxes_) {
    return sdk::Status::RetryLater("sandbox limit reached", 1000);
  }
  int host = 2;
  while (host < 255 && ip_used_[host]) ++host;
  if (host == 255)
    return sdk::Status::RetryLater("no free address in " + cidr_prefix_ + "0/24", 1000);
  ip_used_[host] = true;
  std::string id = "sandbox-" + std::to_string(next_id_++);
  sandboxes_[id] =
      Sandbox{metadata,
              ObjectOrEmpty(config, "labels"),
              ObjectOrEmpty(config, "annotations"),
              true,
              NowNs(),
              host,
              HostNetwork(config),
              config != nullptr ? sdk::json::GetString(*config, "logDirectory").value_or("") : ""};
  *response_json = sdk::json::Dump(Json{{"podSandboxId", id}});
  return sdk::Status::Ok();
}

sdk::Status FakeRuntime::StopPodSandbox(sdk::Call&, std::string_view request_json,
                                        std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "podSandboxId").value_or("");
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sandboxes_.find(id);
  if (it != sandboxes_.end()) {
    it->second.ready = false;
    for (auto& [cid, c] : containers_) {
      if (c.sandbox_id == id) StopLocked(&c);
    }
  }
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status FakeRuntime::RemovePodSandbox(sdk::Call&, std::string_view request_json,
                                          std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "podSandboxId").value_or("");
  std::lock_guard<std::mutex> lock(mu_);
  if (auto sb = sandboxes_.find(id); sb != sandboxes_.end()) {
    ip_used_[sb->second.ip_host] = false;
    sandboxes_.erase(sb);
  }
  for (auto it = containers_.begin(); it != containers_.end();) {
    it = it->second.sandbox_id == id ? containers_.erase(it) : std::next(it);
  }
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status FakeRuntime::PodSandboxStatus(sdk::Call&, std::string_view request_json,
                                          std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "podSandboxId").value_or("");
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sandboxes_.find(id);
  if (it == sandboxes_.end()) return sdk::Status::NotFound("sandbox " + id + " not found");
  Json out{{"status", SandboxJson(id, it->second)}};
  if (!netns_dir_.empty() && !it->second.host_network) {
    out["info"] = {{"netnsPath", netns_dir_ + "/" + id}};
  }
  *response_json = sdk::json::Dump(out);
  return sdk::Status::Ok();
}

sdk::Status FakeRuntime::CreateContainer(sdk::Call&, std::string_view request_json,
                                         std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string sandbox_id = sdk::json::GetString(*req, "podSandboxId").value_or("");
  const Json* config = sdk::json::GetObject(*req, "config");
  Json metadata = ObjectOrEmpty(config, "metadata");
  Json image = ObjectOrEmpty(config, "image");
  if (!sdk::json::GetString(metadata, "name")) {
    return sdk::Status::Invalid("config.metadata.name is required");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto sb = sandboxes_.find(sandbox_id);
  if (sb == sandboxes_.end()) return sdk::Status::NotFound("sandbox " + sandbox_id + " not found");
  if (!sb->second.ready) return sdk::Status::Invalid("sandbox " + sandbox_id + " is not ready");
  std::string id = "container-" + std::to_string(next_id_++);
  Container c;
  c.sandbox_id = sandbox_id;
  c.metadata = metadata;
  c.image = sdk::json::GetString(image, "image").value_or("");
  c.log_path = config != nullptr ? sdk::json::GetString(*config, "logPath").value_or("") : "";
  c.created_at = NowNs();
  c.config = config != nullptr ? *config : Json::object();
  if (!sb->second.log_directory.empty() && !c.log_path.empty()) {
    c.log_file = sb->second.log_directory + "/" + c.log_path;
  }
  containers_[id] = std::move(c);
  *response_json = sdk::json::Dump(Json{{"containerId", id}});
  return sdk::Status::Ok();
}

sdk::Status FakeRuntime::StartContainer(sdk::Call& call, std::string_view request_json,
                                        std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "containerId").value_or("");
  // The latency is simulated outside the lock so other pods' calls proceed meanwhile.
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(start_latency_ms_);
  while (std::chrono::steady_clock::now() < until) {
    if (call.Cancelled()) return sdk::Status::DeadlineExceeded("start cancelled");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return sdk::Status::NotFound("container " + id + " not found");
  if (it->second.state != "CONTAINER_CREATED") {
    return sdk::Status::Invalid("container " + id + " is " + it->second.state);
  }
  it->second.state = "CONTAINER_RUNNING";
  it->second.started_at = NowNs();
  // A running container has its log, as with a real runtime (simulated ones print nothing).
  if (!it->second.log_file.empty()) CreateLogFile(it->second.log_file);
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status FakeRuntime::StopContainer(sdk::Call&, std::string_view request_json,
                                       std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "containerId").value_or("");
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it != containers_.end()) StopLocked(&it->second);
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status FakeRuntime::RemoveContainer(sdk::Call&, std::string_view request_json,
                                         std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "containerId").value_or("");
  std::lock_guard<std::mutex> lock(mu_);
  containers_.erase(id);
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status FakeRuntime::ContainerStatus(sdk::Call&, std::string_view request_json,
                                         std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "containerId").value_or("");
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return sdk::Status::NotFound("container " + id + " not found");
  AdvanceLocked(&it->second, NowNs());
  *response_json = sdk::json::Dump(
      Json{{"status", ContainerJson(id, it->second)}, {"info", {{"config", it->second.config}}}});
  return sdk::Status::Ok();
}

sdk::Status FakeRuntime::ExecSync(sdk::Call&, std::string_view request_json,
                                  std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "containerId").value_or("");
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return sdk::Status::NotFound("container " + id + " not found");
    AdvanceLocked(&it->second, NowNs());
    if (it->second.state != "CONTAINER_RUNNING") {
      return sdk::Status::Invalid("container " + id + " is not running");
    }
  }
  std::vector<std::string> cmd;
  if (const Json* arr = sdk::json::GetArray(*req, "cmd")) {
    for (const Json& a : *arr) cmd.push_back(a.is_string() ? a.get<std::string>() : "");
  }
  int code = 0;
  std::string out;
  if (cmd.size() >= 2 && cmd[0] == "fake-exit") {
    code = std::atoi(cmd[1].c_str());
    if (cmd.size() >= 3) out = cmd[2];
  } else if (cmd.size() >= 2 && cmd[0] == "fake-file-exists") {
    std::FILE* f = std::fopen(cmd[1].c_str(), "r");
    if (f != nullptr) std::fclose(f);
    code = f != nullptr ? 0 : 1;
    if (f == nullptr) out = cmd[1] + ": No such file or directory";
  }
  *response_json =
      sdk::json::Dump(Json{{"exitCode", code}, {"stdout", Base64(out)}, {"stderr", ""}});
  return sdk::Status::Ok();
}

sdk::Status FakeRuntime::ListPodSandbox(sdk::Call&, std::string_view request_json,
                                        std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  const Json* filter = sdk::json::GetObject(*req, "filter");
  std::string want_id = filter != nullptr ? sdk::json::GetString(*filter, "id").value_or("") : "";
  std::string want_state = FilterState(filter);
  Json items = Json::array();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, s] : sandboxes_) {
    Json item = SandboxJson(id, s);
    if (!want_id.empty() && id != want_id) continue;
    if (!want_state.empty() && item["state"] != want_state) continue;
    items.push_back(std::move(item));
  }
  *response_json = sdk::json::Dump(Json{{"items", items}});
  return sdk::Status::Ok();
}

sdk::Status FakeRuntime::ListContainers(sdk::Call&, std::string_view request_json,
                                        std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  const Json* filter = sdk::json::GetObject(*req, "filter");
  std::string want_id = filter != nullptr ? sdk::json::GetString(*filter, "id").value_or("") : "";
  std::string want_sandbox =
      filter != nullptr ? sdk::json::GetString(*filter, "podSandboxId").value_or("") : "";
  std::string want_state = FilterState(filter);
  Json items = Json::array();
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = NowNs();
  for (auto& [id, c] : containers_) {
    AdvanceLocked(&c, now);
    if (!want_id.empty() && id != want_id) continue;
    if (!want_sandbox.empty() && c.sandbox_id != want_sandbox) continue;
    if (!want_state.empty() && c.state != want_state) continue;
    items.push_back(ContainerJson(id, c));
  }
  *response_json = sdk::json::Dump(Json{{"containers", items}});
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins::fake_runtime
