// Image config parsing and record (de)serialization (image_record.h). nlohmann is used only in
// its non-throwing forms here.
#include "core/image/image_record.h"

#include <nlohmann/json.hpp>

namespace capstan::image {
namespace {

using nlohmann::json;

std::vector<std::string> Strings(const json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string Str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t Int(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

}  // namespace

Result<ImageConfig> ParseImageConfig(std::string_view raw) {
  json j = json::parse(raw, nullptr, false);
  if (!j.is_object()) return InvalidError("image config: not a JSON object");
  ImageConfig c;
  c.os = Str(j, "os");
  c.architecture = Str(j, "architecture");
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object() || !rootfs->contains("diff_ids")) {
    return InvalidError("image config: missing rootfs.diff_ids");
  }
  c.diff_ids = Strings(*rootfs, "diff_ids");
  auto cfg = j.find("config");
  if (cfg != j.end() && cfg->is_object()) {
    c.entrypoint = Strings(*cfg, "Entrypoint");
    c.cmd = Strings(*cfg, "Cmd");
    c.env = Strings(*cfg, "Env");
    c.working_dir = Str(*cfg, "WorkingDir");
    c.user = Str(*cfg, "User");
    c.stop_signal = Str(*cfg, "StopSignal");
    if (auto l = cfg->find("Labels"); l != cfg->end() && l->is_object()) {
      for (const auto& [k, v] : l->items()) {
        if (v.is_string()) c.labels[k] = v.get<std::string>();
      }
    }
    if (auto p = cfg->find("ExposedPorts"); p != cfg->end() && p->is_object()) {
      for (const auto& [k, v] : p->items()) c.exposed_ports.push_back(k);
    }
  }
  return c;
}

std::string EncodeRecords(const std::vector<ImageRecord>& records) {
  json images = json::array();
  for (const auto& r : records) {
    json layers = json::array();
    for (const auto& l : r.layers) {
      layers.push_back({{"digest", l.digest},
                        {"diffID", l.diff_id},
                        {"mediaType", l.media_type},
                        {"size", l.size},
                        {"unpackedSize", l.unpacked_size}});
    }
    images.push_back({{"id", r.id},
                      {"repoTags", r.repo_tags},
                      {"repoDigests", r.repo_digests},
                      {"manifestDigest", r.manifest_digest},
                      {"configDigest", r.config_digest},
                      {"layers", layers},
                      {"size", r.size},
                      {"pulledAt", r.pulled_at},
                      {"lastUsed", r.last_used}});
  }
  return json{{"images", images}}.dump(1);
}

Result<std::vector<ImageRecord>> DecodeRecords(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("images") || !j["images"].is_array()) {
    return InvalidError("image index: want {\"images\": [...]}");
  }
  std::vector<ImageRecord> out;
  for (const auto& i : j["images"]) {
    if (!i.is_object()) return InvalidError("image index: entry is not an object");
    ImageRecord r;
    r.id = Str(i, "id");
    r.repo_tags = Strings(i, "repoTags");
    r.repo_digests = Strings(i, "repoDigests");
    r.manifest_digest = Str(i, "manifestDigest");
    r.config_digest = Str(i, "configDigest");
    r.size = Int(i, "size");
    r.pulled_at = Int(i, "pulledAt");
    r.last_used = Int(i, "lastUsed");
    if (auto ls = i.find("layers"); ls != i.end() && ls->is_array()) {
      for (const auto& l : *ls) {
        if (!l.is_object()) return InvalidError("image index: layer is not an object");
        r.layers.push_back(LayerRecord{Str(l, "digest"), Str(l, "diffID"), Str(l, "mediaType"),
                                       Int(l, "size"), Int(l, "unpackedSize")});
      }
    }
    if (r.id.empty() || r.config_digest.empty())
      return InvalidError("image index: entry without id");
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace capstan::image
