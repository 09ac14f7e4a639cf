// Example CSI plugin `example-tmpdir`: the RPCs (see tmpdir_csi.h). File operations use the
// std::error_code overloads, so nothing here throws.
#include "tmpdir_csi.h"

#include <cstdlib>
#include <optional>
#include <system_error>

#include "capstan/sdk/json.h"

namespace capstan::examples {
namespace {

using sdk::json::Json;
namespace fs = std::filesystem;

std::optional<Json> ParseRequest(std::string_view request_json) {
  std::optional<Json> j = sdk::json::Parse(request_json.empty() ? "{}" : request_json);
  if (j && !j->is_object()) return std::nullopt;
  return j;
}

// proto3 JSON maps int64 to a string, but accept a number too.
int64_t Int64Field(const Json& obj, std::string_view key) {
  const Json* v = sdk::json::Find(obj, key);
  if (v == nullptr) return 0;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_string()) return std::strtoll(v->get_ref<const std::string&>().c_str(), nullptr, 10);
  return 0;
}

}  // namespace

sdk::Status TmpDirCsi::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  root_ = sdk::json::GetString(*config, "root").value_or(kDefaultRoot);
  node_id_ = sdk::json::GetString(*config, "nodeId").value_or(node_id_);
  driver_name_ = sdk::json::GetString(*config, "driverName").value_or(driver_name_);
  if (!root_.is_absolute()) return sdk::Status::Invalid("root must be absolute: " + root_.string());
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) return sdk::Status::Unavailable("creating " + root_.string() + ": " + ec.message());
  host.Info("volumes under " + root_.string());
  return sdk::Status::Ok();
}

sdk::Status TmpDirCsi::VolumePath(std::string_view id, fs::path* out) const {
  if (id.empty() || id.size() > 128 || id == "." || id == "..") {
    return sdk::Status::Invalid("bad volume id '" + std::string(id) + "'");
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return sdk::Status::Invalid("bad character in volume id '" + std::string(id) + "'");
  }
  *out = root_ / std::string(id);
  return sdk::Status::Ok();
}

sdk::Status TmpDirCsi::GetPluginInfo(sdk::Call&, std::string_view, std::string* response_json) {
  *response_json =
      sdk::json::Dump(Json{{"name", driver_name_}, {"vendorVersion", kTmpDirCsiVersion}});
  return sdk::Status::Ok();
}

sdk::Status TmpDirCsi::GetPluginCapabilities(sdk::Call&, std::string_view,
                                             std::string* response_json) {
  *response_json = R"({"capabilities":[{"service":{"type":"CONTROLLER_SERVICE"}}]})";
  return sdk::Status::Ok();
}

sdk::Status TmpDirCsi::Probe(sdk::Call&, std::string_view, std::string* response_json) {
  std::error_code ec;
  bool ready = fs::is_directory(root_, ec);
  *response_json = ready ? R"({"ready":true})" : R"({"ready":false})";
  return sdk::Status::Ok();
}

sdk::Status TmpDirCsi::CreateVolume(sdk::Call&, std::string_view request_json,
                                    std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string name = sdk::json::GetString(*req, "name").value_or("");
  fs::path dir;
  CAPSTAN_SDK_RETURN_IF_ERROR(VolumePath(name, &dir));
  const Json* range = sdk::json::GetObject(*req, "capacityRange");
  int64_t capacity = range != nullptr ? Int64Field(*range, "requiredBytes") : 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = capacity_.find(name);
    if (it != capacity_.end() && it->second != capacity) {
      return sdk::Status::AlreadyExists("volume " + name + " exists with capacity " +
                                        std::to_string(it->second));
    }
    capacity_[name] = capacity;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return sdk::Status::Error("creating " + dir.string() + ": " + ec.message());
  *response_json = sdk::json::Dump(Json{{"volume",
                                         {{"volumeId", name},
                                          {"capacityBytes", std::to_string(capacity)},
                                          {"volumeContext", {{"path", dir.string()}}}}}});
  return sdk::Status::Ok();
}

sdk::Status TmpDirCsi::DeleteVolume(sdk::Call&, std::string_view request_json,
                                    std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "volumeId").value_or("");
  fs::path dir;
  CAPSTAN_SDK_RETURN_IF_ERROR(VolumePath(id, &dir));
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return sdk::Status::Error("removing " + dir.string() + ": " + ec.message());
  {
    std::lock_guard<std::mutex> lock(mu_);
    capacity_.erase(id);
  }
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status TmpDirCsi::ControllerGetCapabilities(sdk::Call&, std::string_view,
                                                 std::string* response_json) {
  *response_json = R"({"capabilities":[{"rpc":{"type":"CREATE_DELETE_VOLUME"}}]})";
  return sdk::Status::Ok();
}

sdk::Status TmpDirCsi::NodePublishVolume(sdk::Call&, std::string_view request_json,
                                         std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  std::string id = sdk::json::GetString(*req, "volumeId").value_or("");
  fs::path dir;
  CAPSTAN_SDK_RETURN_IF_ERROR(VolumePath(id, &dir));
  fs::path target = sdk::json::GetString(*req, "targetPath").value_or("");
  if (target.empty() || !target.is_absolute()) {
    return sdk::Status::Invalid("targetPath must be absolute");
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return sdk::Status::NotFound("volume " + id + " does not exist");
  if (fs::is_symlink(fs::symlink_status(target, ec))) {
    if (fs::read_symlink(target, ec) == dir) {
      *response_json = "{}";  // already published here: idempotent
      return sdk::Status::Ok();
    }
    return sdk::Status::AlreadyExists(target.string() + " is published from another volume");
  }
  // The host may have created the target as an empty directory; replace it with the link.
  if (fs::is_directory(target, ec) && fs::is_empty(target, ec)) fs::remove(target, ec);
  if (fs::exists(target, ec)) return sdk::Status::AlreadyExists(target.string() + " is in use");
  fs::create_directories(target.parent_path(), ec);
  fs::create_directory_symlink(dir, target, ec);
  if (ec) return sdk::Status::Error("linking " + target.string() + ": " + ec.message());
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status TmpDirCsi::NodeUnpublishVolume(sdk::Call&, std::string_view request_json,
                                           std::string* response_json) {
  std::optional<Json> req = ParseRequest(request_json);
  if (!req) return sdk::Status::Invalid("request is not a JSON object");
  fs::path target = sdk::json::GetString(*req, "targetPath").value_or("");
  if (target.empty()) return sdk::Status::Invalid("targetPath is required");
  std::error_code ec;
  // symlink_status reports a missing path as not_found without an error: nothing to undo.
  if (fs::is_symlink(fs::symlink_status(target, ec))) {
    fs::remove(target, ec);
    if (ec) return sdk::Status::Error("unlinking " + target.string() + ": " + ec.message());
  }
  *response_json = "{}";
  return sdk::Status::Ok();
}

sdk::Status TmpDirCsi::NodeGetCapabilities(sdk::Call&, std::string_view,
                                           std::string* response_json) {
  *response_json = R"({"capabilities":[]})";
  return sdk::Status::Ok();
}

sdk::Status TmpDirCsi::NodeGetInfo(sdk::Call&, std::string_view, std::string* response_json) {
  *response_json = sdk::json::Dump(Json{{"nodeId", node_id_}});
  return sdk::Status::Ok();
}

}  // namespace capstan::examples
