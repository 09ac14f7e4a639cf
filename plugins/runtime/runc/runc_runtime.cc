// Runtime plugin `runc`: the CRI calls over runc, the shim and the pod namespaces (see
// runc_runtime.h). Listing and exec live in runc_exec_list.cc.
#include "runc_runtime.h"

#include <dlfcn.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include "cgroups.h"
#include "exec_fifo.h"
#include "oci_spec.h"
#include "process.h"
#include "shim.h"

namespace capstan::plugins::runc_runtime {
namespace {

using sdk::json::Json;

constexpr int64_t kDefaultRuncTimeoutNs = 30'000'000'000;
constexpr int64_t kKillGraceNs = 10'000'000'000;

std::string NewId() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 8; ++i) {
    uint32_t v = rd();
    for (int j = 0; j < 4; ++j, v >>= 8) {
      id.push_back(kHex[(v >> 4) & 0xf]);
      id.push_back(kHex[v & 0xf]);
    }
  }
  return id;
}

// The call's deadline, or `fallback_ns` from now.
int64_t Deadline(const sdk::Call& call, int64_t fallback_ns) {
  int64_t d = call.deadline_mono_ns();
  return d != 0 ? d : MonotonicNs() + fallback_ns;
}

// `capstan-shim` beside the file this code was loaded from (the plugin's .so).
std::string DefaultShimPath() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&DefaultShimPath), &info) == 0 || info.dli_fname == nullptr) {
    return "";
  }
  std::error_code ec;
  std::filesystem::path self = std::filesystem::absolute(info.dli_fname, ec);
  return ec ? "" : (self.parent_path() / kShimExecutable).string();
}

bool ShimAlive(int32_t pid) {
  if (pid <= 0) return false;
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  return std::getline(comm, name) && name == "capstan-shim";
}

int64_t NamespaceMode(const Json* config, const char* which) {
  const Json* o = config != nullptr ? sdk::json::FindPath(
                                          *config, {"linux", "securityContext", "namespaceOptions"})
                                    : nullptr;
  return o != nullptr ? sdk::json::GetInt(*o, which).value_or(0) : 0;
}

}  // namespace

sdk::Status RuncRuntime::Init(const sdk::Host& host, std::string_view config_json) {
  (void)host;
  std::optional<Json> config = sdk::json::Parse(config_json.empty() ? "{}" : config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  state_dir_ = sdk::json::GetString(*config, "stateDir").value_or(state_dir_);
  runc_path_ = sdk::json::GetString(*config, "runcPath").value_or(runc_path_);
  cgroup_root_ = sdk::json::GetString(*config, "cgroupRoot").value_or(cgroup_root_);
  shim_path_ = sdk::json::GetString(*config, "shimPath").value_or(DefaultShimPath());
  if (shim_path_.empty() || shim_path_[0] != '/') {
    return sdk::Status::Invalid("shimPath must be absolute (the capstan-shim executable)");
  }
  if (state_dir_.empty() || state_dir_[0] != '/') {
    return sdk::Status::Invalid("stateDir must be absolute");
  }
  std::error_code ec;
  for (const char* sub : {"sandboxes", "containers", "runc"}) {
    std::filesystem::create_directories(state_dir_ + "/" + sub, ec);
    if (ec) return sdk::Status::Unavailable("creating " + state_dir_ + ": " + ec.message());
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, j] : LoadRecords(state_dir_ + "/sandboxes", "sandbox.json")) {
    SandboxRecord r;
    if (FromJson(j, &r).ok() && r.id == name) sandboxes_[r.id] = std::move(r);
  }
  for (auto& [name, j] : LoadRecords(state_dir_ + "/containers", "container.json")) {
    ContainerRecord r;
    if (FromJson(j, &r).ok() && r.id == name) containers_[r.id] = std::move(r);
  }
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::Health(sdk::Call& call) {
  (void)call;
  if (access(runc_path_.c_str(), X_OK) != 0) {
    return sdk::Status::Unavailable(runc_path_ + " is not executable");
  }
  if (access(shim_path_.c_str(), X_OK) != 0) {
    return sdk::Status::Unavailable(shim_path_ + " is not executable");
  }
  return sdk::Status::Ok();
}

std::string RuncRuntime::SandboxDir(const std::string& id) const {
  return state_dir_ + "/sandboxes/" + id;
}
std::string RuncRuntime::BundleDir(const std::string& id) const {
  return state_dir_ + "/containers/" + id;
}

sdk::Status RuncRuntime::SaveLocked(const SandboxRecord& s) const {
  return WriteFileAtomic(SandboxDir(s.id) + "/sandbox.json", sdk::json::Dump(ToJson(s)));
}
sdk::Status RuncRuntime::SaveLocked(const ContainerRecord& c) const {
  return WriteFileAtomic(BundleDir(c.id) + "/container.json", sdk::json::Dump(ToJson(c)));
}

bool RuncRuntime::FindContainer(const std::string& id, ContainerRecord* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return false;
  *out = it->second;
  return true;
}

sdk::Status RuncRuntime::RequestedContainer(const Json& req, ContainerRecord* out) {
  std::string id = sdk::json::GetString(req, "containerId").value_or("");
  if (!FindContainer(id, out)) return sdk::Status::NotFound("container " + id + " not found");
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::Runc(const std::vector<std::string>& args, int64_t deadline_mono_ns,
                              std::string* output) const {
  std::vector<std::string> argv = {runc_path_, "--root", state_dir_ + "/runc"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandOptions opts;
  opts.deadline_mono_ns = deadline_mono_ns;
  CommandResult r;
  CAPSTAN_SDK_RETURN_IF_ERROR(RunCommand(argv, opts, &r));
  if (output != nullptr) *output = r.out;
  if (r.exit_code != 0) {
    return sdk::Status::Error("runc " + args.front() + " failed (" + std::to_string(r.exit_code) +
                              "): " + r.err);
  }
  return sdk::Status::Ok();
}

RuncRuntime::Observed RuncRuntime::Observe(const ContainerRecord& c) const {
  Observed o;
  if (ReadExitFile(BundleDir(c.id), &o.exit_code, &o.finished_at)) {
    o.state = "CONTAINER_EXITED";
  } else if (ShimAlive(c.shim_pid)) {
    o.state = c.started_at != 0 ? "CONTAINER_RUNNING" : "CONTAINER_CREATED";
  } else {
    o.state = "CONTAINER_UNKNOWN";
  }
  return o;
}

Json RuncRuntime::SandboxJson(const SandboxRecord& s) const {
  return Json{{"id", s.id},
              {"metadata", s.metadata},
              {"state", s.ready ? "SANDBOX_READY" : "SANDBOX_NOTREADY"},
              {"createdAt", std::to_string(s.created_at)},
              {"network", {{"ip", ""}}},
              {"labels", s.labels},
              {"annotations", s.annotations}};
}

Json RuncRuntime::ContainerJson(const ContainerRecord& c) const {
  Observed o = Observe(c);
  std::string reason;
  if (o.state == "CONTAINER_EXITED") reason = o.exit_code == 0 ? "Completed" : "Error";
  return Json{{"id", c.id},
              {"podSandboxId", c.sandbox_id},
              {"metadata", c.metadata},
              {"image", {{"image", c.image}}},
              {"imageRef", c.image_ref},
              {"state", o.state},
              {"createdAt", std::to_string(c.created_at)},
              {"startedAt", std::to_string(c.started_at)},
              {"finishedAt", std::to_string(o.finished_at)},
              {"exitCode", o.exit_code},
              {"reason", reason},
              {"message", ""},
              {"labels", c.labels},
              {"annotations", c.annotations},
              {"logPath", c.log_path}};
}

sdk::Status RuncRuntime::RunPodSandbox(sdk::Call&, std::string_view request_json,
                                       std::string* response_json) {
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  const Json* config = sdk::json::GetObject(req, "config");
  SandboxRecord s;
  s.metadata = ObjectOrEmpty(config, "metadata");
  if (!sdk::json::GetString(s.metadata, "name")) {
    return sdk::Status::Invalid("config.metadata.name is required");
  }
  s.id = NewId();
  s.labels = ObjectOrEmpty(config, "labels");
  s.annotations = ObjectOrEmpty(config, "annotations");
  s.log_directory = sdk::json::GetString(*config, "logDirectory").value_or("");
  s.cgroup_parent = cgroup_root_ + "/" + s.id;
  s.created_at = WallNs();
  std::string dir = SandboxDir(s.id);
  // NODE (2) shares the host's namespace; hostNetwork implies the host's UTS too (as kubelet).
  bool host_net = NamespaceMode(config, "network") == 2;
  if (!host_net) {
    s.namespaces.net = dir + "/net";
    s.namespaces.uts = dir + "/uts";
    s.namespaces.hostname = sdk::json::GetString(*config, "hostname").value_or("");
    if (s.namespaces.hostname.empty()) {
      s.namespaces.hostname = sdk::json::GetString(s.metadata, "name").value_or("");
    }
  }
  if (NamespaceMode(config, "ipc") != 2) s.namespaces.ipc = dir + "/ipc";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return sdk::Status::Error("creating " + dir + ": " + ec.message());
  sdk::Status st = CreatePodNamespaces(s.namespaces);
  if (st.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    st = SaveLocked(s);
    if (st.ok()) sandboxes_[s.id] = s;
  }
  if (!st.ok()) {
    (void)ReleasePodNamespaces(s.namespaces);
    std::filesystem::remove_all(dir, ec);
    return st;
  }
  *response_json = sdk::json::Dump(Json{{"podSandboxId", s.id}});
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::StopPodSandbox(sdk::Call& call, std::string_view request_json,
                                        std::string* response_json) {
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  std::string id = sdk::json::GetString(req, "podSandboxId").value_or("");
  std::vector<ContainerRecord> members;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [cid, c] : containers_) {
      if (c.sandbox_id == id) members.push_back(c);
    }
  }
  for (const ContainerRecord& c : members) CAPSTAN_SDK_RETURN_IF_ERROR(StopOne(call, c, 0));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sandboxes_.find(id);
  if (it != sandboxes_.end() && it->second.ready) {
    it->second.ready = false;
    CAPSTAN_SDK_RETURN_IF_ERROR(SaveLocked(it->second));
  }
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::RemovePodSandbox(sdk::Call& call, std::string_view request_json,
                                          std::string* response_json) {
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  std::string id = sdk::json::GetString(req, "podSandboxId").value_or("");
  std::vector<ContainerRecord> members;
  std::optional<SandboxRecord> sandbox;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [cid, c] : containers_) {
      if (c.sandbox_id == id) members.push_back(c);
    }
    if (auto it = sandboxes_.find(id); it != sandboxes_.end()) sandbox = it->second;
  }
  for (const ContainerRecord& c : members) CAPSTAN_SDK_RETURN_IF_ERROR(RemoveOne(call, c));
  if (sandbox) {
    CAPSTAN_SDK_RETURN_IF_ERROR(ReleasePodNamespaces(sandbox->namespaces));
    RemoveRelativeCgroup(sandbox->cgroup_parent);
    std::error_code ec;
    std::lock_guard<std::mutex> lock(mu_);
    std::filesystem::remove_all(SandboxDir(id), ec);
    if (ec) return sdk::Status::Error("removing " + SandboxDir(id) + ": " + ec.message());
    sandboxes_.erase(id);
  }
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::PodSandboxStatus(sdk::Call&, std::string_view request_json,
                                          std::string* response_json) {
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  std::string id = sdk::json::GetString(req, "podSandboxId").value_or("");
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sandboxes_.find(id);
  if (it == sandboxes_.end()) return sdk::Status::NotFound("sandbox " + id + " not found");
  Json info = Json::object();
  if (!it->second.namespaces.net.empty()) info["netnsPath"] = it->second.namespaces.net;
  *response_json = sdk::json::Dump(Json{{"status", SandboxJson(it->second)}, {"info", info}});
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::CreateContainer(sdk::Call& call, std::string_view request_json,
                                         std::string* response_json) {
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  std::string sandbox_id = sdk::json::GetString(req, "podSandboxId").value_or("");
  const Json* config = sdk::json::GetObject(req, "config");
  if (config == nullptr) return sdk::Status::Invalid("config is required");
  ContainerRecord c;
  c.metadata = ObjectOrEmpty(config, "metadata");
  std::string name = sdk::json::GetString(c.metadata, "name").value_or("");
  if (name.empty()) return sdk::Status::Invalid("config.metadata.name is required");
  SandboxRecord sandbox;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto sb = sandboxes_.find(sandbox_id);
    if (sb == sandboxes_.end()) {
      return sdk::Status::NotFound("sandbox " + sandbox_id + " not found");
    }
    if (!sb->second.ready) return sdk::Status::Invalid("sandbox " + sandbox_id + " is not ready");
    sandbox = sb->second;
    for (const auto& [other_id, other] : containers_) {
      if (other.sandbox_id == sandbox_id && other.metadata == c.metadata) {
        return sdk::Status::AlreadyExists("container " + name + " exists as " + other_id);
      }
    }
  }
  c.id = NewId();
  c.sandbox_id = sandbox_id;
  c.labels = ObjectOrEmpty(config, "labels");
  c.annotations = ObjectOrEmpty(config, "annotations");
  c.image = sdk::json::GetString(ObjectOrEmpty(config, "image"), "image").value_or("");
  c.image_ref = sdk::json::GetString(*config, "imageRef").value_or(c.image);
  std::string log_rel = sdk::json::GetString(*config, "logPath").value_or("");
  std::string bundle = BundleDir(c.id);
  if (log_rel.empty()) {
    c.log_path = bundle + "/container.log";
  } else if (log_rel[0] == '/' || sandbox.log_directory.empty()) {
    c.log_path = log_rel[0] == '/' ? log_rel : bundle + "/" + log_rel;
  } else {
    c.log_path = sandbox.log_directory + "/" + log_rel;
  }

  Json spec;
  CAPSTAN_SDK_RETURN_IF_ERROR(
      BuildSpec(*config, sandbox.namespaces, sandbox.cgroup_parent + "/" + c.id, &spec));
  std::error_code ec;
  std::filesystem::create_directories(bundle, ec);
  if (ec) return sdk::Status::Error("creating " + bundle + ": " + ec.message());
  sdk::Status st = WriteFileAtomic(bundle + "/config.json", sdk::json::Dump(spec));
  ShimInfo shim;
  if (st.ok()) {
    c.created_at = WallNs();
    ShimRequest shim_request;
    shim_request.shim_path = shim_path_;
    shim_request.runc_path = runc_path_;
    shim_request.runc_root = state_dir_ + "/runc";
    shim_request.bundle_dir = bundle;
    shim_request.container_id = c.id;
    shim_request.log_path = c.log_path;
    shim_request.stdin_open = sdk::json::GetBool(*config, "stdin").value_or(false);
    shim_request.stdin_once = sdk::json::GetBool(*config, "stdinOnce").value_or(false);
    shim_request.tty = sdk::json::GetBool(*config, "tty").value_or(false);
    // The bundle path is too long for a socket name runc dials (108 bytes).
    shim_request.console_socket = state_dir_ + "/tty-" + c.id.substr(0, 16) + ".sock";
    st = StartShim(shim_request, Deadline(call, kDefaultRuncTimeoutNs), &shim);
  }
  if (st.ok()) {
    c.init_pid = shim.init_pid;
    c.shim_pid = shim.shim_pid;
    std::lock_guard<std::mutex> lock(mu_);
    st = SaveLocked(c);
    if (st.ok()) containers_[c.id] = c;
  }
  if (!st.ok()) {
    (void)Runc({"delete", "--force", c.id}, MonotonicNs() + kDefaultRuncTimeoutNs);
    std::filesystem::remove_all(bundle, ec);
    return st;
  }
  *response_json = sdk::json::Dump(Json{{"containerId", c.id}});
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::StartContainer(sdk::Call& call, std::string_view request_json,
                                        std::string* response_json) {
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  ContainerRecord c;
  CAPSTAN_SDK_RETURN_IF_ERROR(RequestedContainer(req, &c));
  const std::string& id = c.id;
  Observed o = Observe(c);
  if (o.state != "CONTAINER_CREATED")
    return sdk::Status::Invalid("container " + id + " is " + o.state);
  int64_t started = WallNs();
  int64_t deadline = Deadline(call, kDefaultRuncTimeoutNs);
  sdk::Status fifo =
      StartThroughExecFifo(state_dir_ + "/runc/" + id + "/exec.fifo", c.init_pid, deadline);
  if (fifo.code() == CAPSTAN_RC_UNAVAILABLE) {
    CAPSTAN_SDK_RETURN_IF_ERROR(Runc({"start", id}, deadline));
  } else if (!fifo.ok()) {
    return sdk::Status(fifo.code(), "starting container " + id + ": " + fifo.message());
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return sdk::Status::NotFound("container " + id + " was removed");
  it->second.started_at = started;
  CAPSTAN_SDK_RETURN_IF_ERROR(SaveLocked(it->second));
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::StopOne(sdk::Call& call, const ContainerRecord& c, int64_t timeout_s) {
  auto exited = [&] {
    std::string state = Observe(c).state;
    return state != "CONTAINER_RUNNING" && state != "CONTAINER_CREATED";
  };
  auto wait_until = [&](int64_t deadline) {
    while (!exited() && MonotonicNs() < deadline && !call.Cancelled()) {
      struct timespec ts {
        0, 10'000'000
      };
      nanosleep(&ts, nullptr);
    }
    return exited();
  };
  if (exited()) return sdk::Status::Ok();
  // A created (never started) container has no program to stop gracefully.
  if (c.started_at != 0 && timeout_s > 0) {
    (void)Runc({"kill", c.id, "TERM"}, MonotonicNs() + kDefaultRuncTimeoutNs);
    if (wait_until(MonotonicNs() + timeout_s * 1'000'000'000)) return sdk::Status::Ok();
    if (call.Cancelled()) return sdk::Status::DeadlineExceeded("stop cancelled");
  }
  (void)Runc({"kill", "--all", c.id, "KILL"}, MonotonicNs() + kDefaultRuncTimeoutNs);
  if (!wait_until(MonotonicNs() + kKillGraceNs)) {
    return call.Cancelled() ? sdk::Status::DeadlineExceeded("stop cancelled")
                            : sdk::Status::Error("container " + c.id + " survived SIGKILL");
  }
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::StopContainer(sdk::Call& call, std::string_view request_json,
                                       std::string* response_json) {
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  std::string id = sdk::json::GetString(req, "containerId").value_or("");
  int64_t timeout = sdk::json::GetInt(req, "timeout").value_or(0);
  ContainerRecord c;
  if (FindContainer(id, &c)) CAPSTAN_SDK_RETURN_IF_ERROR(StopOne(call, c, timeout));
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::RemoveOne(sdk::Call& call, const ContainerRecord& c) {
  std::string state = Observe(c).state;
  if (state == "CONTAINER_RUNNING" || state == "CONTAINER_CREATED") {
    CAPSTAN_SDK_RETURN_IF_ERROR(StopOne(call, c, 0));
  }
  (void)Runc({"delete", "--force", c.id}, MonotonicNs() + kDefaultRuncTimeoutNs);
  std::error_code ec;
  std::lock_guard<std::mutex> lock(mu_);
  std::filesystem::remove_all(BundleDir(c.id), ec);
  if (ec) return sdk::Status::Error("removing " + BundleDir(c.id) + ": " + ec.message());
  containers_.erase(c.id);
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::RemoveContainer(sdk::Call& call, std::string_view request_json,
                                         std::string* response_json) {
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  std::string id = sdk::json::GetString(req, "containerId").value_or("");
  ContainerRecord c;
  if (FindContainer(id, &c)) CAPSTAN_SDK_RETURN_IF_ERROR(RemoveOne(call, c));
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::ContainerStatus(sdk::Call&, std::string_view request_json,
                                         std::string* response_json) {
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  ContainerRecord c;
  CAPSTAN_SDK_RETURN_IF_ERROR(RequestedContainer(req, &c));
  *response_json = sdk::json::Dump(Json{{"status", ContainerJson(c)}});
  return sdk::Status::Ok();
}

sdk::Status RuncRuntime::ReopenContainerLog(sdk::Call&, std::string_view request_json,
                                            std::string* response_json) {
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  ContainerRecord c;
  CAPSTAN_SDK_RETURN_IF_ERROR(RequestedContainer(req, &c));
  if (Observe(c).state != "CONTAINER_RUNNING") {
    return sdk::Status::Invalid("container " + c.id + " is not running");
  }
  CAPSTAN_SDK_RETURN_IF_ERROR(ReopenShimLog(c.shim_pid));
  *response_json = "{}";
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins::runc_runtime
