// Payloads of the API-data volumes (volumes.h `VolumePayload`): configMap and secret keys or
// items, downwardAPI items and projected sources, with modes, as the kubelet's volume plugins
// compute them before handing them to the atomic writer.
#include <set>

#include "core/agent/volumes.h"

namespace capstan::agent {
namespace {

using nlohmann::json;
constexpr mode_t kDefaultMode = 0644;

mode_t ModeOf(const json& obj, const char* key, mode_t fallback) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_number_integer()) return fallback;
  return static_cast<mode_t>(obj[key].get<int64_t>() & 0777);
}

// Keys of a ConfigMap/Secret (or its `items`) as files.
Result<std::vector<ProjectedFile>> KeyFiles(const VolumeContext& ctx, const json& src, bool secret,
                                            mode_t mode, bool* skip) {
  std::string ns = (*ctx.facts.pod)["metadata"].value("namespace", "default");
  std::string name = src.value(secret ? "secretName" : "name", src.value("name", ""));
  bool optional = src.value("optional", false);
  Result<json> obj = ctx.get(secret ? "secrets" : "configmaps", ns, name);
  if (!obj.ok()) {
    if (obj.status().code() == StatusCode::kNotFound && optional) {
      *skip = true;
      return std::vector<ProjectedFile>{};
    }
    if (obj.status().code() == StatusCode::kNotFound) {
      return NotFoundError(std::string(secret ? "secret" : "configmap") + " \"" + name +
                           "\" not found");
    }
    return obj.status();
  }
  Result<std::vector<std::pair<std::string, std::string>>> payload = ObjectPayload(*obj, secret);
  if (!payload.ok()) return payload.status();
  std::vector<ProjectedFile> files;
  const json items = src.value("items", json::array());
  if (items.empty()) {
    for (auto& [k, v] : *payload) files.push_back({k, v, mode});
    return files;
  }
  for (const json& item : items) {
    std::string key = item.value("key", "");
    const std::string* value = nullptr;
    for (const auto& [k, v] : *payload) {
      if (k == key) value = &v;
    }
    if (value == nullptr) {
      if (optional) continue;
      return NotFoundError(std::string(secret ? "secret" : "configmap") +
                           " references non-existent config key: " + key);
    }
    files.push_back({item.value("path", key), *value, ModeOf(item, "mode", mode)});
  }
  return files;
}

Result<std::vector<ProjectedFile>> DownwardFiles(const VolumeContext& ctx, const json& src,
                                                 mode_t mode) {
  std::vector<ProjectedFile> files;
  for (const json& item : src.value("items", json::array())) {
    Result<std::string> value = std::string();
    if (item.contains("fieldRef")) {
      value = PodFieldValue(ctx.facts, item["fieldRef"].value("fieldPath", ""));
    } else if (item.contains("resourceFieldRef")) {
      value = ResourceFieldValue(ctx.facts, json::object(), item["resourceFieldRef"]);
    }
    if (!value.ok()) return value.status();
    files.push_back({item.value("path", ""), *value, ModeOf(item, "mode", mode)});
  }
  return files;
}

}  // namespace

Result<std::vector<ProjectedFile>> VolumePayload(const VolumeContext& ctx, const std::string& type,
                                                 const json& source, bool* skip) {
  *skip = false;
  mode_t mode = ModeOf(source, "defaultMode", kDefaultMode);
  if (type == "configMap") return KeyFiles(ctx, source, false, mode, skip);
  if (type == "secret") return KeyFiles(ctx, source, true, mode, skip);
  if (type == "downwardAPI") return DownwardFiles(ctx, source, mode);
  if (type != "projected") return InvalidError("unknown volume type " + type);
  std::vector<ProjectedFile> files;
  for (const json& s : source.value("sources", json::array())) {
    Result<std::vector<ProjectedFile>> part = std::vector<ProjectedFile>{};
    bool part_skip = false;
    if (s.contains("configMap")) {
      part = KeyFiles(ctx, s["configMap"], false, mode, &part_skip);
    } else if (s.contains("secret")) {
      part = KeyFiles(ctx, s["secret"], true, mode, &part_skip);
    } else if (s.contains("downwardAPI")) {
      part = DownwardFiles(ctx, s["downwardAPI"], mode);
    }
    // serviceAccountToken and clusterTrustBundle sources need TokenRequest / trust bundles,
    // which the API server does not serve yet: they project nothing.
    if (!part.ok()) return part.status();
    for (ProjectedFile& f : *part) files.push_back(std::move(f));
  }
  std::set<std::string> seen;
  for (const ProjectedFile& f : files) {
    if (!seen.insert(f.path).second) return InvalidError("conflicting projected path " + f.path);
  }
  return files;
}

}  // namespace capstan::agent
