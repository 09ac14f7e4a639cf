// cni-exec: CNI operations over binaries (cni_exec.h).
#include "cni_exec.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "child_process.h"

namespace capstan::cni {
namespace {

namespace json = sdk::json;

constexpr char kGcVersion[] = "1.1.0";  // GC and STATUS exist from CNI 1.1.0 on
constexpr size_t kStderrTail = 512;

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string FindBinary(const std::vector<std::string>& dirs, const std::string& type) {
  for (const std::string& dir : dirs) {
    std::string path = dir + "/" + type;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return {};
}

std::string Tail(const std::string& text) {
  std::string t = text.size() > kStderrTail ? text.substr(text.size() - kStderrTail) : text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

// The standard plugins reject CNI_ARGS keys they do not know (K8S_POD_NAME...) unless
// IgnoreUnknown is set, as Kubernetes runtimes always do.
std::string WithIgnoreUnknown(std::string_view args) {
  if (args.empty() || args.find("IgnoreUnknown=") != std::string_view::npos) {
    return std::string(args);
  }
  return "IgnoreUnknown=1;" + std::string(args);
}

std::string TypeOf(const Json& plugin) { return json::GetString(plugin, "type").value_or(""); }

// The first failure wins; later ones are appended so DEL/GC report everything they hit.
void Merge(sdk::Status& first, const sdk::Status& next) {
  if (next.ok()) return;
  if (first.ok()) {
    first = next;
    return;
  }
  first = sdk::Status(first.code(), first.message() + "; " + next.message());
}

}  // namespace

sdk::Status CniExec::Init(const sdk::Host& host, std::string_view config_json) {
  (void)host;
  std::optional<Json> config = json::Parse(config_json);
  if (!config) return sdk::Status::Invalid("config is not JSON");
  sdk::Status s = ParseExecConfig(*config, &config_);
  if (!s.ok()) return s;
  cni_path_ = Join(config_.bin_dirs, ":");
  return sdk::Status::Ok();
}

sdk::Status CniExec::SupportedVersions(sdk::Call& call, const std::string& path,
                                       std::vector<std::string>* out) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = versions_.find(path);
    if (it != versions_.end()) {
      *out = it->second;
      return sdk::Status::Ok();
    }
  }
  SpawnRequest r;
  r.path = path;
  r.env = {"CNI_COMMAND=VERSION", "CNI_PATH=" + cni_path_};
  r.stdin_data = json::Dump(Json{{"cniVersion", config_.list.cni_version}});
  r.deadline_mono_ns = call.deadline_mono_ns();
  r.cancelled = [&call] { return call.Cancelled(); };
  SpawnResult res = Spawn(r);
  std::optional<Json> doc = json::Parse(res.out);
  const Json* versions = doc ? json::GetArray(*doc, "supportedVersions") : nullptr;
  if (!res.started || res.exit_code != 0 || versions == nullptr) {
    return sdk::Status::Error(
        path + ": VERSION failed: " + (res.started ? Tail(res.err + res.out) : res.error));
  }
  out->clear();
  for (const Json& v : *versions) {
    if (std::optional<std::string> s = json::AsString(v)) out->push_back(*s);
  }
  std::lock_guard<std::mutex> lock(mu_);
  versions_[path] = *out;
  return sdk::Status::Ok();
}

sdk::Status CniExec::Prepare(sdk::Call& call, const sdk::CniRequest& request, const char* command,
                             bool negotiate, Op* op) {
  op->command = command;
  std::optional<Json> req =
      request.config_json().empty() ? Json::object() : json::Parse(request.config_json());
  if (!req || !req->is_object()) return sdk::Status::Invalid("request config is not a JSON object");
  op->requested_version = json::GetString(*req, "cniVersion").value_or(config_.list.cni_version);
  if (const Json* prev = json::GetObject(*req, "prevResult")) op->prev_result = *prev;
  if (const Json* rc = json::GetObject(*req, "runtimeConfig")) op->runtime_config = *rc;
  if (const Json* valid = json::GetArray(*req, "cni.dev/valid-attachments")) {
    op->valid_attachments = *valid;
  }
  const char* path_env = std::getenv("PATH");
  op->env = {
      "CNI_PATH=" + cni_path_,
      std::string("PATH=") + (path_env != nullptr ? path_env : "/usr/sbin:/usr/bin:/sbin:/bin")};
  // GC and STATUS concern the network, not one container: CNI_COMMAND and CNI_PATH only.
  if (negotiate) {
    op->env.push_back("CNI_CONTAINERID=" + std::string(request.container_id()));
    op->env.push_back("CNI_NETNS=" + std::string(request.netns()));
    op->env.push_back("CNI_IFNAME=" + std::string(request.ifname()));
    op->env.push_back("CNI_ARGS=" + WithIgnoreUnknown(request.args()));
  }
  op->paths.clear();
  std::vector<std::vector<std::string>> supported;
  for (const Json& plugin : config_.list.plugins) {
    std::string path = FindBinary(config_.bin_dirs, TypeOf(plugin));
    op->paths.push_back(path);
    if (!negotiate) continue;
    if (path.empty()) {
      return sdk::Status::Error("failed to find plugin \"" + TypeOf(plugin) + "\" in path [" +
                                Join(config_.bin_dirs, " ") + "]");
    }
    supported.emplace_back();
    sdk::Status s = SupportedVersions(call, path, &supported.back());
    if (!s.ok()) return s;
  }
  if (!negotiate) return sdk::Status::Ok();
  std::optional<std::string> version = NegotiateVersion(config_.list, supported);
  if (!version) {
    return sdk::Status::Error("network " + config_.list.name + ": no CNI version at or below " +
                              config_.list.cni_version + " is supported by every plugin binary");
  }
  op->version = *version;
  return sdk::Status::Ok();
}

sdk::Status CniExec::Run(sdk::Call& call, const Op& op, size_t index, const Json& conf,
                         std::string* stdout_text) const {
  std::string type = TypeOf(config_.list.plugins[index]);
  if (op.paths[index].empty()) {
    return sdk::Status::Error("failed to find plugin \"" + type + "\" in path [" +
                              Join(config_.bin_dirs, " ") + "]");
  }
  SpawnRequest r;
  r.path = op.paths[index];
  r.env = op.env;
  r.env.push_back("CNI_COMMAND=" + op.command);
  r.stdin_data = json::Dump(conf);
  r.deadline_mono_ns = call.deadline_mono_ns();
  r.cancelled = [&call] { return call.Cancelled(); };
  SpawnResult res = Spawn(r);
  if (!res.started) return sdk::Status::Error(type + ": " + res.error);
  if (res.timed_out) {
    return sdk::Status::DeadlineExceeded(type + ": " + op.command +
                                         " killed at the call's deadline");
  }
  if (res.exit_code == 0) {
    *stdout_text = std::move(res.out);
    return sdk::Status::Ok();
  }
  if (std::optional<CniError> e = ParseCniError(res.out)) return StatusFromCniError(type, *e);
  std::string how = res.term_signal != 0 ? "killed by signal " + std::to_string(res.term_signal)
                                         : "exited with status " + std::to_string(res.exit_code);
  return sdk::Status::Error(type + ": " + op.command + " " + how + ": " + Tail(res.err + res.out));
}

sdk::Status CniExec::CniAdd(sdk::Call& call, const sdk::CniRequest& request,
                            std::string* result_json) {
  Op op;
  sdk::Status s = Prepare(call, request, "ADD", true, &op);
  if (!s.ok()) return s;
  std::optional<Json> prev = op.prev_result;
  const Json* rc = op.runtime_config ? &*op.runtime_config : nullptr;
  for (size_t i = 0; i < config_.list.plugins.size(); ++i) {
    Json conf = BuildPluginConf(config_.list.plugins[i], config_.list.name, op.version,
                                prev ? &*prev : nullptr, rc);
    std::string out;
    s = Run(call, op, i, conf, &out);
    if (!s.ok()) return s;
    std::optional<Json> result = json::Parse(out);
    if (!result || !result->is_object()) {
      return sdk::Status::Error(TypeOf(config_.list.plugins[i]) +
                                ": ADD printed no result document: " + Tail(out));
    }
    prev = std::move(*result);
  }
  *result_json = json::Dump(ConvertResult(*prev, op.requested_version));
  return sdk::Status::Ok();
}

sdk::Status CniExec::CniDel(sdk::Call& call, const sdk::CniRequest& request) {
  Op op;
  sdk::Status s = Prepare(call, request, "DEL", true, &op);
  if (!s.ok()) return s;
  const Json* prev = op.prev_result ? &*op.prev_result : nullptr;
  const Json* rc = op.runtime_config ? &*op.runtime_config : nullptr;
  sdk::Status first;
  for (size_t i = config_.list.plugins.size(); i-- > 0;) {
    Json conf = BuildPluginConf(config_.list.plugins[i], config_.list.name, op.version, prev, rc);
    std::string out;
    Merge(first, Run(call, op, i, conf, &out));
  }
  return first;
}

sdk::Status CniExec::CniCheck(sdk::Call& call, const sdk::CniRequest& request) {
  if (config_.list.disable_check) return sdk::Status::Ok();
  Op op;
  sdk::Status s = Prepare(call, request, "CHECK", true, &op);
  if (!s.ok()) return s;
  if (CompareVersions(op.version, "0.4.0") < 0) return sdk::Status::Ok();
  if (!op.prev_result) return sdk::Status::Invalid("CHECK needs the ADD result as prevResult");
  const Json* rc = op.runtime_config ? &*op.runtime_config : nullptr;
  for (size_t i = 0; i < config_.list.plugins.size(); ++i) {
    Json conf = BuildPluginConf(config_.list.plugins[i], config_.list.name, op.version,
                                &*op.prev_result, rc);
    std::string out;
    s = Run(call, op, i, conf, &out);
    if (!s.ok()) return s;
  }
  return sdk::Status::Ok();
}

sdk::Status CniExec::CniStatus(sdk::Call& call, const sdk::CniRequest& request) {
  Op op;
  sdk::Status s = Prepare(call, request, "STATUS", false, &op);
  if (!s.ok()) return s;
  for (size_t i = 0; i < config_.list.plugins.size(); ++i) {
    std::string type = TypeOf(config_.list.plugins[i]);
    if (op.paths[i].empty()) {
      return sdk::Status::Unavailable("plugin binary \"" + type + "\" not found in [" +
                                      Join(config_.bin_dirs, " ") + "]");
    }
    std::vector<std::string> versions;
    s = SupportedVersions(call, op.paths[i], &versions);
    if (!s.ok()) return sdk::Status::Unavailable(s.message());
    if (std::none_of(versions.begin(), versions.end(),
                     [](const std::string& v) { return CompareVersions(v, kGcVersion) >= 0; })) {
      continue;
    }
    Json conf =
        BuildPluginConf(config_.list.plugins[i], config_.list.name, kGcVersion, nullptr, nullptr);
    std::string out;
    s = Run(call, op, i, conf, &out);
    if (!s.ok()) return s;
  }
  return sdk::Status::Ok();
}

sdk::Status CniExec::CniGc(sdk::Call& call, const sdk::CniRequest& request) {
  if (config_.list.disable_gc) return sdk::Status::Ok();
  Op op;
  sdk::Status s = Prepare(call, request, "GC", false, &op);
  if (!s.ok()) return s;
  sdk::Status first;
  for (size_t i = 0; i < config_.list.plugins.size(); ++i) {
    std::vector<std::string> versions;
    if (op.paths[i].empty() || !SupportedVersions(call, op.paths[i], &versions).ok() ||
        std::none_of(versions.begin(), versions.end(),
                     [](const std::string& v) { return CompareVersions(v, kGcVersion) >= 0; })) {
      continue;  // binaries without GC keep nothing GC could release
    }
    Json conf =
        BuildPluginConf(config_.list.plugins[i], config_.list.name, kGcVersion, nullptr, nullptr);
    conf["cni.dev/valid-attachments"] =
        op.valid_attachments ? *op.valid_attachments : Json::array();
    std::string out;
    Merge(first, Run(call, op, i, conf, &out));
  }
  return first;
}

}  // namespace capstan::cni
