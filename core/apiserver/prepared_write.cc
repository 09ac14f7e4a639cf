// One serialization per write (prepared_write.h).
#include "core/apiserver/prepared_write.h"

#include <algorithm>

namespace capstan::apiserver {
namespace {

// A value no client sends in metadata.resourceVersion (it contains control characters), so its
// serialized member is found by a plain search. Uniqueness is still checked.
constexpr char kPlaceholder[] =
    "\x01"
    "capstan-rv"
    "\x01";
constexpr std::string_view kMember = R"("resourceVersion":"\u0001capstan-rv\u0001")";
constexpr std::string_view kRvKey = R"("resourceVersion":")";

std::string Dump(const nlohmann::json& obj) {
  return obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Finds the placeholder member exactly once; npos otherwise.
size_t FindMember(const std::string& text) {
  size_t at = text.find(kMember);
  if (at == std::string::npos || text.find(kMember, at + 1) != std::string::npos) {
    return std::string::npos;
  }
  return at;
}

}  // namespace

void IndexObject(const nlohmann::json& obj, const FieldExtractor& extract, CachedObject* out) {
  const nlohmann::json& meta = obj["metadata"];
  if (auto it = meta.find("name"); it != meta.end() && it->is_string()) out->name = *it;
  if (auto it = meta.find("namespace"); it != meta.end() && it->is_string()) {
    out->namespace_name = *it;
  }
  if (auto it = meta.find("uid"); it != meta.end() && it->is_string()) out->uid = *it;
  if (auto it = meta.find("labels"); it != meta.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) out->labels.emplace_back(k, v.get<std::string>());
    }
  }  // nlohmann objects iterate in key order, so `labels` is sorted already.
  if (extract) extract(obj, &out->fields);
  std::sort(out->fields.begin(), out->fields.end());
}

std::shared_ptr<const PreparedWrite> PrepareWrite(std::string key, nlohmann::json& obj,
                                                  const FieldExtractor& extract) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return nullptr;
  (*meta)["resourceVersion"] = kPlaceholder;
  std::string text = Dump(obj);
  meta->erase("resourceVersion");
  size_t at = FindMember(text);
  if (at == std::string::npos || at == 0) return nullptr;
  auto p = std::make_shared<PreparedWrite>();
  size_t end = at + kMember.size();
  if (text[at - 1] == ',') {  // `...,"resourceVersion":"PH"` : drop the leading comma
    p->rv_at = at - 1;
    p->rv_prefix = ",";
    text.erase(at - 1, end - (at - 1));
  } else if (end < text.size() && text[end] == ',') {  // first member: drop the trailing comma
    p->rv_at = at;
    p->rv_suffix = ",";
    text.erase(at, end + 1 - at);
  } else {  // the only member
    p->rv_at = at;
    text.erase(at, end - at);
  }
  p->stored = std::move(text);
  p->index.key = std::move(key);
  IndexObject(obj, extract, &p->index);
  return p;
}

std::string ServedBytes(const PreparedWrite& p, int64_t revision, size_t* rv_pos, size_t* rv_len) {
  std::string rev = std::to_string(revision);
  std::string out;
  out.reserve(p.stored.size() + kRvKey.size() + rev.size() + 3);
  out.append(p.stored, 0, p.rv_at);
  out.append(p.rv_prefix);
  out.append(kRvKey);
  *rv_pos = out.size();
  *rv_len = rev.size();
  out.append(rev);
  out.push_back('"');
  out.append(p.rv_suffix);
  out.append(p.stored, p.rv_at, std::string::npos);
  return out;
}

CachedObject CachedFromPrepared(const PreparedWrite& p, int64_t revision) {
  CachedObject out = p.index;
  out.revision = revision;
  out.json = ServedBytes(p, revision, &out.rv_pos, &out.rv_len);
  return out;
}

CachedObject WithRevision(const CachedObject& object, int64_t revision) {
  CachedObject out = object;
  out.revision = revision;
  if (object.rv_pos == std::string::npos) return out;  // cannot locate it: keep the old one
  std::string rev = std::to_string(revision);
  out.json.replace(object.rv_pos, object.rv_len, rev);
  out.rv_len = rev.size();
  return out;
}

std::string SerializeWithRevision(nlohmann::json& obj, int64_t revision, size_t* rv_pos,
                                  size_t* rv_len) {
  nlohmann::json& meta = obj["metadata"];
  if (!meta.is_object()) meta = nlohmann::json::object();
  meta["resourceVersion"] = kPlaceholder;
  std::string text = Dump(obj);
  std::string rev = std::to_string(revision);
  size_t at = FindMember(text);
  if (at == std::string::npos) {  // not unique (a client stored the placeholder text)
    meta["resourceVersion"] = rev;
    *rv_pos = std::string::npos;
    *rv_len = 0;
    return Dump(obj);
  }
  meta.erase("resourceVersion");
  text.replace(at, kMember.size(), std::string(kRvKey) + rev + "\"");
  *rv_pos = at + kRvKey.size();
  *rv_len = rev.size();
  return text;
}

}  // namespace capstan::apiserver
