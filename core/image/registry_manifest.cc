// Manifest, index and challenge parsing for the registry client (registry_client.h). All JSON
// parsing is non-throwing (`allow_exceptions=false`) and type-checked field by field.
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/image/registry_client.h"

namespace capstan::image {
namespace {

using nlohmann::json;

Result<Descriptor> ParseDescriptor(const json& j, std::string_view where) {
  if (!j.is_object()) return InvalidError(std::string(where) + ": not an object");
  Descriptor d;
  auto mt = j.find("mediaType");
  if (mt != j.end() && mt->is_string()) d.media_type = mt->get<std::string>();
  auto dg = j.find("digest");
  if (dg == j.end() || !dg->is_string() || !IsValidDigest(dg->get<std::string>())) {
    return InvalidError(std::string(where) + ": missing or invalid digest");
  }
  d.digest = dg->get<std::string>();
  auto sz = j.find("size");
  if (sz == j.end() || !sz->is_number_integer() || sz->get<int64_t>() < 0) {
    return InvalidError(std::string(where) + ": missing or invalid size");
  }
  d.size = sz->get<int64_t>();
  return d;
}

bool IsGeneric(std::string_view ct) {
  return ct.empty() || ct.substr(0, 16) == "application/json" || ct.substr(0, 10) == "text/plain" ||
         ct.substr(0, 24) == "application/octet-stream";
}

}  // namespace

std::string ManifestMediaType(std::string_view raw, std::string_view content_type) {
  std::string_view ct = content_type.substr(0, content_type.find(';'));
  if (!IsGeneric(ct)) return std::string(ct);
  json j = json::parse(raw, nullptr, false);
  if (!j.is_object()) return std::string(ct);
  if (auto mt = j.find("mediaType"); mt != j.end() && mt->is_string())
    return mt->get<std::string>();
  if (auto sv = j.find("schemaVersion"); sv != j.end() && sv->is_number() && sv->get<int>() == 1) {
    return "application/vnd.docker.distribution.manifest.v1+json";
  }
  if (j.contains("manifests")) return std::string(kMediaOciIndex);
  if (j.contains("layers")) return std::string(kMediaOciManifest);
  return std::string(ct);
}

Result<ResolvedManifest> ParseImageManifest(std::string_view raw, std::string_view content_type) {
  ResolvedManifest m;
  m.media_type = ManifestMediaType(raw, content_type);
  if (m.media_type != kMediaOciManifest && m.media_type != kMediaDockerManifest) {
    if (m.media_type.find("manifest.v1") != std::string::npos) {
      return UnimplementedError("Docker schema 1 manifests are not supported");
    }
    return UnimplementedError("unsupported manifest media type \"" + m.media_type + "\"");
  }
  json j = json::parse(raw, nullptr, false);
  if (!j.is_object()) return InvalidError("manifest: not a JSON object");
  auto cfg = j.find("config");
  if (cfg == j.end()) return InvalidError("manifest: missing config");
  auto c = ParseDescriptor(*cfg, "manifest config");
  if (!c.ok()) return c.status();
  m.config = std::move(*c);
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array()) return InvalidError("manifest: missing layers");
  for (size_t i = 0; i < layers->size(); ++i) {
    auto d = ParseDescriptor((*layers)[i], "manifest layers[" + std::to_string(i) + "]");
    if (!d.ok()) return d.status();
    m.layers.push_back(std::move(*d));
  }
  m.raw = std::string(raw);
  return m;
}

Result<Descriptor> SelectPlatform(std::string_view raw_index, const Platform& platform) {
  json j = json::parse(raw_index, nullptr, false);
  if (!j.is_object()) return InvalidError("index: not a JSON object");
  auto list = j.find("manifests");
  if (list == j.end() || !list->is_array()) return InvalidError("index: missing manifests");
  std::string seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    if (!e.is_object()) continue;
    auto p = e.find("platform");
    if (p == e.end() || !p->is_object()) continue;
    std::string os = p->value("os", ""), arch = p->value("architecture", "");
    std::string variant = p->value("variant", "");
    if (!seen.empty()) seen += ", ";
    seen += os + "/" + arch + (variant.empty() ? "" : "/" + variant);
    if (os != platform.os || arch != platform.architecture) continue;
    if (!platform.variant.empty() && variant != platform.variant) continue;
    return ParseDescriptor(e, "index manifests[" + std::to_string(i) + "]");
  }
  return NotFoundError("no manifest for platform " + platform.os + "/" + platform.architecture +
                       " in index (has: " + (seen.empty() ? "none" : seen) + ")");
}

Challenge ParseChallenge(std::string_view h) {
  Challenge c;
  size_t i = 0;
  while (i < h.size() && std::isspace(static_cast<unsigned char>(h[i]))) ++i;
  size_t start = i;
  while (i < h.size() && !std::isspace(static_cast<unsigned char>(h[i]))) ++i;
  for (char ch : h.substr(start, i - start)) {
    c.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  }
  while (i < h.size()) {
    while (i < h.size() && (h[i] == ',' || std::isspace(static_cast<unsigned char>(h[i])))) ++i;
    size_t eq = h.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key;
    for (char ch : h.substr(i, eq - i)) {
      if (!std::isspace(static_cast<unsigned char>(ch))) {
        key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
      }
    }
    i = eq + 1;
    std::string value;
    if (i < h.size() && h[i] == '"') {
      ++i;
      while (i < h.size() && h[i] != '"') {
        if (h[i] == '\\' && i + 1 < h.size()) ++i;
        value.push_back(h[i++]);
      }
      ++i;
    } else {
      while (i < h.size() && h[i] != ',') value.push_back(h[i++]);
    }
    c.params[key] = value;
  }
  return c;
}

}  // namespace capstan::image
