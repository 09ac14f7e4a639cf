// Runtime plugin `runc`: JSON persistence of sandbox and container records (see records.h).
#include "records.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace capstan::plugins::runc_runtime {
using sdk::json::Json;

sdk::Status ParseRequest(std::string_view request_json, Json* out) {
  std::optional<Json> j = sdk::json::Parse(request_json.empty() ? "{}" : request_json);
  if (!j || !j->is_object()) return sdk::Status::Invalid("request is not a JSON object");
  *out = std::move(*j);
  return sdk::Status::Ok();
}

Json ObjectOrEmpty(const Json* parent, std::string_view key) {
  const Json* v = parent != nullptr ? sdk::json::GetObject(*parent, key) : nullptr;
  return v != nullptr ? *v : Json::object();
}

Json ToJson(const SandboxRecord& r) {
  return Json{{"id", r.id},
              {"metadata", r.metadata},
              {"labels", r.labels},
              {"annotations", r.annotations},
              {"logDirectory", r.log_directory},
              {"cgroupParent", r.cgroup_parent},
              {"createdAt", r.created_at},
              {"ready", r.ready},
              {"netns", r.namespaces.net},
              {"ipcns", r.namespaces.ipc},
              {"utsns", r.namespaces.uts},
              {"hostname", r.namespaces.hostname}};
}

Json ToJson(const ContainerRecord& r) {
  return Json{{"id", r.id},
              {"sandboxId", r.sandbox_id},
              {"metadata", r.metadata},
              {"labels", r.labels},
              {"annotations", r.annotations},
              {"image", r.image},
              {"imageRef", r.image_ref},
              {"logPath", r.log_path},
              {"createdAt", r.created_at},
              {"startedAt", r.started_at},
              {"initPid", r.init_pid},
              {"shimPid", r.shim_pid}};
}

sdk::Status FromJson(const Json& j, SandboxRecord* r) {
  r->id = sdk::json::GetString(j, "id").value_or("");
  if (r->id.empty()) return sdk::Status::Invalid("sandbox record without id");
  r->metadata = ObjectOrEmpty(&j, "metadata");
  r->labels = ObjectOrEmpty(&j, "labels");
  r->annotations = ObjectOrEmpty(&j, "annotations");
  r->log_directory = sdk::json::GetString(j, "logDirectory").value_or("");
  r->cgroup_parent = sdk::json::GetString(j, "cgroupParent").value_or("");
  r->created_at = sdk::json::GetInt(j, "createdAt").value_or(0);
  r->ready = sdk::json::GetBool(j, "ready").value_or(false);
  r->namespaces.net = sdk::json::GetString(j, "netns").value_or("");
  r->namespaces.ipc = sdk::json::GetString(j, "ipcns").value_or("");
  r->namespaces.uts = sdk::json::GetString(j, "utsns").value_or("");
  r->namespaces.hostname = sdk::json::GetString(j, "hostname").value_or("");
  return sdk::Status::Ok();
}

sdk::Status FromJson(const Json& j, ContainerRecord* r) {
  r->id = sdk::json::GetString(j, "id").value_or("");
  if (r->id.empty()) return sdk::Status::Invalid("container record without id");
  r->sandbox_id = sdk::json::GetString(j, "sandboxId").value_or("");
  r->metadata = ObjectOrEmpty(&j, "metadata");
  r->labels = ObjectOrEmpty(&j, "labels");
  r->annotations = ObjectOrEmpty(&j, "annotations");
  r->image = sdk::json::GetString(j, "image").value_or("");
  r->image_ref = sdk::json::GetString(j, "imageRef").value_or("");
  r->log_path = sdk::json::GetString(j, "logPath").value_or("");
  r->created_at = sdk::json::GetInt(j, "createdAt").value_or(0);
  r->started_at = sdk::json::GetInt(j, "startedAt").value_or(0);
  r->init_pid = static_cast<int32_t>(sdk::json::GetInt(j, "initPid").value_or(-1));
  r->shim_pid = static_cast<int32_t>(sdk::json::GetInt(j, "shimPid").value_or(-1));
  return sdk::Status::Ok();
}

sdk::Status WriteFileAtomic(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sdk::Status::Error("open " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t w = write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      close(fd);
      return sdk::Status::Error("write " + tmp + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(w);
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return sdk::Status::Error("rename " + tmp + ": " + std::strerror(errno));
  }
  return sdk::Status::Ok();
}

std::map<std::string, Json> LoadRecords(const std::string& dir, const std::string& file) {
  std::map<std::string, Json> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::ifstream in(it->path() / file);
    if (!in) continue;
    std::stringstream ss;
    ss << in.rdbuf();
    std::optional<Json> j = sdk::json::Parse(ss.str());
    if (j && j->is_object()) out[it->path().filename().string()] = std::move(*j);
  }
  return out;
}

}  // namespace capstan::plugins::runc_runtime
