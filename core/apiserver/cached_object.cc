// Decoding stored objects into `CachedObject` (cached_object.h).
#include "core/apiserver/cached_object.h"

#include <algorithm>

#include "core/apiserver/prepared_write.h"

namespace capstan::apiserver {
namespace {

const std::string* FindPair(const StringPairs& pairs, std::string_view key) {
  auto it = std::lower_bound(pairs.begin(), pairs.end(), key,
                             [](const auto& p, std::string_view k) { return p.first < k; });
  if (it == pairs.end() || it->first != key) return nullptr;
  return &it->second;
}

std::string ScalarString(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return v.dump();
  return "";
}

}  // namespace

const std::string* CachedObject::Label(std::string_view label_key) const {
  return FindPair(labels, label_key);
}

const std::string* CachedObject::Field(std::string_view path) const {
  if (path == "metadata.name") return &name;
  if (path == "metadata.namespace") return &namespace_name;
  return FindPair(fields, path);
}

std::string ReadFieldPath(const nlohmann::json& object, std::string_view dotted_path) {
  const nlohmann::json* cur = &object;
  size_t start = 0;
  while (start <= dotted_path.size()) {
    size_t dot = dotted_path.find('.', start);
    std::string_view part = dotted_path.substr(
        start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!cur->is_object()) return "";
    auto it = cur->find(part);
    if (it == cur->end()) return "";
    cur = &*it;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return ScalarString(*cur);
}

Result<CachedObject> DecodeStoredObject(std::string_view key, std::string_view stored,
                                        int64_t revision, const FieldExtractor& extract) {
  nlohmann::json obj = nlohmann::json::parse(stored, nullptr, /*allow_exceptions=*/false);
  if (!obj.is_object()) {
    return InternalError("stored object at \"" + std::string(key) + "\" is not a JSON object");
  }
  CachedObject out;
  out.key = std::string(key);
  out.revision = revision;
  nlohmann::json& meta = obj["metadata"];
  if (!meta.is_object()) meta = nlohmann::json::object();
  IndexObject(obj, extract, &out);
  out.json = SerializeWithRevision(obj, revision, &out.rv_pos, &out.rv_len);
  return out;
}

}  // namespace capstan::apiserver
