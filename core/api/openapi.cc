// OpenAPI document index, serving and patch-metadata cache. Files are hashed in 64 KiB chunks at
// load and read whole only while a response or a metadata build needs them, so idle memory holds
// just paths and hashes.
#include "core/api/openapi.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <utility>

#include "core/api/content_hash.h"

#ifndef CAPSTAN_SOURCE_DATA_DIR
#define CAPSTAN_SOURCE_DATA_DIR ""
#endif

namespace capstan::api {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kV3Suffix = "_openapi.json";
constexpr std::string_view kV2Path = "/openapi/v2";
constexpr std::string_view kV3Path = "/openapi/v3";

Status ReadError(const fs::path& file) {
  return UnavailableError("reading " + file.string() + ": " + std::strerror(errno));
}

Result<std::string> HashFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return ReadError(file);
  Sha512Hasher hasher;
  std::string chunk(64 * 1024, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    hasher.Update(std::string_view(chunk.data(), static_cast<size_t>(in.gcount())));
  }
  if (in.bad()) return ReadError(file);
  return hasher.FinishHex();
}

Result<std::string> ReadFile(const fs::path& file) {
  std::error_code ec;
  uintmax_t size = fs::file_size(file, ec);
  if (ec) return UnavailableError("reading " + file.string() + ": " + ec.message());
  std::ifstream in(file, std::ios::binary);
  if (!in) return ReadError(file);
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<uintmax_t>(in.gcount()) != size) return ReadError(file);
  return bytes;
}

// "apis__apps__v1_openapi.json" -> "apis/apps/v1"; empty when the name does not fit.
std::string V3PathFromFileName(std::string_view name) {
  if (!name.ends_with(kV3Suffix)) return {};
  name.remove_suffix(kV3Suffix.size());
  std::string path;
  while (true) {
    size_t sep = name.find("__");
    path.append(name.substr(0, sep));
    if (sep == std::string_view::npos) break;
    path.push_back('/');
    name.remove_prefix(sep + 2);
  }
  return path;
}

bool AcceptsJson(std::string_view accept) {
  if (accept.find_first_not_of(" \t") == std::string_view::npos) return true;
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    range = range.substr(0, range.find(';'));
    while (!range.empty() && (range.front() == ' ' || range.front() == '\t'))
      range.remove_prefix(1);
    while (!range.empty() && (range.back() == ' ' || range.back() == '\t')) range.remove_suffix(1);
    if (range == "application/json" || range == "application/*" || range == "*/*") return true;
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return false;
}

std::string Quoted(const std::string& hash) { return "\"" + hash + "\""; }

// The swagger document `base` with every set of `extra` definitions added to its definitions.
Result<std::string> WithDefinitions(
    const std::string& base, const std::map<std::string, nlohmann::json, std::less<>>& extra) {
  nlohmann::json doc = nlohmann::json::parse(base, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return InvalidError("the OpenAPI v2 document does not parse");
  nlohmann::json& definitions = doc["definitions"];
  if (!definitions.is_object()) definitions = nlohmann::json::object();
  for (const auto& [key, set] : extra) {
    for (auto it = set.begin(); it != set.end(); ++it) definitions[it.key()] = *it;
  }
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The `api/v1` or `apis/<group>/<version>` key for a group-version.
std::string V3Key(const GroupVersion& gv) { return gv.Path(); }

}  // namespace

Result<fs::path> FindOpenApiDir(std::string_view explicit_dir) {
  auto has_docs = [](const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "swagger.json", ec);
  };
  if (!explicit_dir.empty()) {
    fs::path dir(explicit_dir);
    if (has_docs(dir)) return dir;
    return NotFoundError("OpenAPI data: no swagger.json in " + dir.string());
  }
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("CAPSTAN_DATA_DIR"); env != nullptr && *env != '\0') {
    candidates.push_back(fs::path(env) / "k8s-openapi");
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / ".." / "share" / "capstan" / "k8s-openapi");
  if (!std::string_view(CAPSTAN_SOURCE_DATA_DIR).empty()) {
    candidates.push_back(fs::path(CAPSTAN_SOURCE_DATA_DIR) / "k8s-openapi");
  }
  std::string tried;
  for (const fs::path& dir : candidates) {
    if (has_docs(dir)) return dir.lexically_normal();
    tried += (tried.empty() ? "" : ", ") + dir.string();
  }
  return NotFoundError("OpenAPI data (swagger.json) not found; tried: " + tried +
                       "; set CAPSTAN_DATA_DIR or pass the directory explicitly");
}

OpenApi::OpenApi(Entry v2, std::map<std::string, Entry, std::less<>> v3, const Registry* registry)
    : registry_(registry), v2_(std::move(v2)), v3_(std::move(v3)) {}

Result<std::unique_ptr<OpenApi>> OpenApi::Load(const fs::path& dir, const Registry* registry) {
  Entry v2;
  v2.file = dir / "swagger.json";
  std::error_code ec;
  if (!fs::is_regular_file(v2.file, ec)) {
    return NotFoundError("OpenAPI data: no swagger.json in " + dir.string());
  }
  Result<std::string> v2_hash = HashFile(v2.file);
  if (!v2_hash.ok()) return v2_hash.status();
  v2.hash = std::move(*v2_hash);

  std::map<std::string, Entry, std::less<>> v3;
  fs::directory_iterator it(dir / "v3", ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string path = V3PathFromFileName(it->path().filename().string());
    if (path.empty() || !it->is_regular_file(ec)) continue;
    Entry entry;
    entry.file = it->path();
    Result<std::string> hash = HashFile(entry.file);
    if (!hash.ok()) return hash.status();
    entry.hash = std::move(*hash);
    v3.emplace(std::move(path), std::move(entry));
  }
  return std::unique_ptr<OpenApi>(new OpenApi(std::move(v2), std::move(v3), registry));
}

Result<std::shared_ptr<const std::string>> OpenApi::Bytes(const Entry& entry) const {
  if (entry.pinned) return entry.pinned;
  if (std::shared_ptr<const std::string> live = entry.live.lock()) return live;
  Result<std::string> bytes = ReadFile(entry.file);
  if (!bytes.ok()) return bytes.status();
  auto shared = std::make_shared<const std::string>(std::move(*bytes));
  entry.live = shared;
  return shared;
}

bool OpenApi::IsOpenApiPath(std::string_view path) {
  if (path == kV2Path || path == kV3Path) return true;
  return path.starts_with(kV3Path) && path.size() > kV3Path.size() + 1 &&
         path[kV3Path.size()] == '/';
}

Result<ServedDocument> OpenApi::Serve(std::string_view path, std::string_view hash,
                                      std::string_view accept) const {
  if (path == kV2Path) return ServeV2(accept);
  if (path == kV3Path) return ServeV3Root();
  if (IsOpenApiPath(path)) return ServeV3(path.substr(kV3Path.size() + 1), hash);
  return NotFoundError("not an OpenAPI path: " + std::string(path));
}

Result<ServedDocument> OpenApi::ServeV2(std::string_view accept) const {
  if (!AcceptsJson(accept)) {
    return Status(StatusCode::kNotAcceptable,
                  "only application/json is available for /openapi/v2 (no protobuf)");
  }
  std::lock_guard<std::mutex> lock(mu_);
  Result<std::shared_ptr<const std::string>> bytes = Bytes(v2_);
  if (!bytes.ok()) return bytes.status();
  const Entry* served = &v2_;
  if (!v2_definitions_.empty()) {
    if (!v2_merged_.pinned) {
      Result<std::string> merged = WithDefinitions(**bytes, v2_definitions_);
      if (!merged.ok()) return merged.status();
      v2_merged_.hash = Sha512Hex(*merged);
      v2_merged_.pinned = std::make_shared<const std::string>(std::move(*merged));
    }
    served = &v2_merged_;
    bytes = served->pinned;
  }
  ServedDocument doc;
  doc.content_type = "application/json";
  doc.body = std::move(*bytes);
  doc.etag = Quoted(served->hash);
  return doc;
}

void OpenApi::SetV2Definitions(const std::string& key, nlohmann::json definitions) {
  std::lock_guard<std::mutex> lock(mu_);
  if (definitions.is_object() && !definitions.empty()) {
    v2_definitions_.insert_or_assign(key, std::move(definitions));
  } else {
    v2_definitions_.erase(key);
  }
  v2_merged_ = Entry();
}

std::vector<std::string> OpenApi::ServedV3Paths() const {
  std::set<std::string, std::less<>> served_by_registry;
  if (registry_ != nullptr) {
    std::shared_ptr<const RegistrySnapshot> snap = registry_->Snapshot();
    for (const GroupInfo& group : snap->groups()) {
      for (const std::string& version : group.versions) {
        served_by_registry.insert(V3Key({group.name, version}));
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> paths;
  for (const auto& [path, entry] : v3_) {
    if (registry_ == nullptr || served_by_registry.count(path) != 0) paths.push_back(path);
  }
  return paths;
}

std::optional<std::string> OpenApi::V3Hash(std::string_view path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = v3_.find(path);
  if (it == v3_.end()) return std::nullopt;
  return it->second.hash;
}

ServedDocument OpenApi::ServeV3Root() const {
  uint64_t registry_generation = registry_ ? registry_->Snapshot()->generation() : 0;
  std::shared_ptr<const std::string> body;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (root_.body && root_.registry_generation == registry_generation &&
        root_.documents_generation == documents_generation_) {
      body = root_.body;
    }
  }
  if (!body) {
    nlohmann::ordered_json paths = nlohmann::ordered_json::object();
    for (const std::string& path : ServedV3Paths()) {
      std::optional<std::string> hash = V3Hash(path);
      if (!hash) continue;  // removed meanwhile
      paths[path] = {{"serverRelativeURL", "/openapi/v3/" + path + "?hash=" + *hash}};
    }
    nlohmann::ordered_json root = {{"paths", std::move(paths)}};
    body = std::make_shared<const std::string>(
        root.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace));
    std::lock_guard<std::mutex> lock(mu_);
    root_ = {registry_generation, documents_generation_, body};
  }
  ServedDocument doc;
  doc.content_type = "application/json";
  doc.body = std::move(body);
  doc.cache_control = "no-cache, private";
  return doc;
}

Result<ServedDocument> OpenApi::ServeV3(std::string_view path, std::string_view hash) const {
  std::vector<std::string> served = ServedV3Paths();
  if (std::find(served.begin(), served.end(), path) == served.end()) {
    return NotFoundError("no OpenAPI v3 document for " + std::string(path));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = v3_.find(path);
  if (it == v3_.end()) return NotFoundError("no OpenAPI v3 document for " + std::string(path));
  const Entry& entry = it->second;
  ServedDocument doc;
  doc.etag = Quoted(entry.hash);
  if (!hash.empty() && hash != entry.hash) {
    // Upstream answers a stale hash with a redirect, so a client never caches the wrong bytes
    // under an immutable URL.
    doc.http_status = 301;
    doc.location = "/openapi/v3/" + std::string(path) + "?hash=" + entry.hash;
    return doc;
  }
  Result<std::shared_ptr<const std::string>> bytes = Bytes(entry);
  if (!bytes.ok()) return bytes.status();
  doc.content_type = "application/json";
  doc.body = std::move(*bytes);
  doc.cache_control = hash.empty() ? "no-cache, private" : "public, immutable";
  return doc;
}

void OpenApi::SetV3Document(const std::string& path, std::string body) {
  Entry entry;
  entry.hash = Sha512Hex(body);
  entry.pinned = std::make_shared<const std::string>(std::move(body));
  std::lock_guard<std::mutex> lock(mu_);
  v3_.insert_or_assign(path, std::move(entry));
  patch_indexes_.erase(path);
  ++documents_generation_;
}

Status OpenApi::RemoveV3Document(std::string_view path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = v3_.find(path);
  if (it == v3_.end() || !it->second.pinned) {
    return NotFoundError("no in-memory OpenAPI v3 document for " + std::string(path));
  }
  v3_.erase(it);
  auto cached = patch_indexes_.find(path);
  if (cached != patch_indexes_.end()) patch_indexes_.erase(cached);
  ++documents_generation_;
  return Status::Ok();
}

Result<PatchMeta> OpenApi::PatchMetaFor(const GroupVersionKind& gvk) const {
  std::string key = V3Key({gvk.group, gvk.version});
  std::shared_ptr<const PatchIndex> index;
  std::shared_ptr<const std::string> bytes;
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto cached = patch_indexes_.find(key);
    if (cached != patch_indexes_.end()) {
      index = cached->second;
    } else {
      auto it = v3_.find(key);
      if (it == v3_.end()) return NotFoundError("no OpenAPI v3 document for " + key);
      Result<std::shared_ptr<const std::string>> read = Bytes(it->second);
      if (!read.ok()) return read.status();
      bytes = std::move(*read);
      generation = documents_generation_;
    }
  }
  if (!index) {
    // Built outside the lock: it takes tens of milliseconds and serving must not wait on it.
    Result<std::shared_ptr<const PatchIndex>> built = PatchIndex::FromOpenApiV3(*bytes);
    if (!built.ok()) return built.status().WithContext("OpenAPI v3 " + key);
    index = std::move(*built);
    bytes.reset();
    std::lock_guard<std::mutex> lock(mu_);
    if (generation == documents_generation_) patch_indexes_.emplace(key, index);
  }
  return index->For(gvk);
}

}  // namespace capstan::api
