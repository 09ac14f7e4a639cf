// JSON Pointer navigation, JSON Patch operations and JSON Merge Patch. Only non-throwing
// nlohmann calls are used (type checks before every access). Header: json_patch.h.
#include "core/patch/json_patch.h"

#include <charconv>
#include <optional>

namespace capstan::patch {
namespace {

using Json = nlohmann::json;

// Array index as the Go library reads it (strconv.Atoi: optional sign, decimal digits).
std::optional<int64_t> ParseIndex(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (*b == '+') ++b;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || b == e) return std::nullopt;
  return v;
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A resolved array position: `index` in [0, size] after negative indexes are folded.
std::optional<size_t> ArrayIndex(const Json& array, std::string_view token, bool allow_end) {
  std::optional<int64_t> i = ParseIndex(token);
  if (!i) return std::nullopt;
  auto size = static_cast<int64_t>(array.size());
  int64_t v = *i < 0 ? *i + size : *i;
  if (v < 0 || v > size || (v == size && !allow_end)) return std::nullopt;
  return static_cast<size_t>(v);
}

// The value at `tokens[0..n)`, or nullptr when any step is missing.
Json* Find(Json& doc, const std::vector<std::string>& tokens, size_t n) {
  Json* cur = &doc;
  for (size_t i = 0; i < n; ++i) {
    if (cur->is_object()) {
      auto it = cur->find(tokens[i]);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      std::optional<size_t> idx = ArrayIndex(*cur, tokens[i], false);
      if (!idx) return nullptr;
      cur = &(*cur)[*idx];
    } else {
      return nullptr;
    }
  }
  return cur;
}

Status Missing(std::string_view what, std::string_view path) {
  return InvalidError(std::string(what) + ": " + std::string(path) + ": missing value");
}

Status Add(Json& doc, const std::vector<std::string>& tokens, std::string_view path, Json value) {
  if (tokens.empty()) {
    doc = std::move(value);
    return Status::Ok();
  }
  Json* parent = Find(doc, tokens, tokens.size() - 1);
  const std::string& last = tokens.back();
  if (parent != nullptr && parent->is_object()) {
    (*parent)[last] = std::move(value);
    return Status::Ok();
  }
  if (parent != nullptr && parent->is_array()) {
    if (last == "-") {
      parent->push_back(std::move(value));
      return Status::Ok();
    }
    std::optional<size_t> idx = ArrayIndex(*parent, last, true);
    if (!idx) {
      return InvalidError("add operation does not apply: index " + last +
                          " is out of bounds for path " + Quoted(path));
    }
    parent->insert(parent->begin() + static_cast<std::ptrdiff_t>(*idx), std::move(value));
    return Status::Ok();
  }
  return Missing("add operation does not apply: doc is missing path", Quoted(path));
}

Status Remove(Json& doc, const std::vector<std::string>& tokens, std::string_view path,
              std::string_view op) {
  std::string what = std::string(op) + " operation does not apply: doc is missing path";
  if (tokens.empty()) return InvalidError(std::string(op) + " operation cannot remove the root");
  Json* parent = Find(doc, tokens, tokens.size() - 1);
  const std::string& last = tokens.back();
  if (parent != nullptr && parent->is_object()) {
    if (parent->erase(last) == 0) return Missing(what, Quoted(path));
    return Status::Ok();
  }
  if (parent != nullptr && parent->is_array()) {
    std::optional<size_t> idx = ArrayIndex(*parent, last, false);
    if (!idx) return Missing(what, Quoted(path));
    parent->erase(parent->begin() + static_cast<std::ptrdiff_t>(*idx));
    return Status::Ok();
  }
  return Missing(what, Quoted(path));
}

bool IsProperPrefix(const std::vector<std::string>& prefix, const std::vector<std::string>& path) {
  if (prefix.size() >= path.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i] != path[i]) return false;
  }
  return true;
}

const Json* Member(const Json& op, const char* name) {
  auto it = op.find(name);
  return it == op.end() ? nullptr : &*it;
}

Result<std::vector<std::string>> PointerMember(const Json& op, const char* name) {
  const Json* p = Member(op, name);
  if (p == nullptr || !p->is_string()) {
    return InvalidError(std::string("operation has no string \"") + name + "\"");
  }
  return ParseJsonPointer(p->get_ref<const std::string&>());
}

// Applies one operation to `doc` in place.
Status ApplyOne(Json& doc, const Json& op) {
  const Json* kind_json = Member(op, "op");
  std::string kind =
      kind_json != nullptr && kind_json->is_string() ? kind_json->get<std::string>() : "";
  Result<std::vector<std::string>> path = PointerMember(op, "path");
  if (!path.ok()) return path.status();
  const std::string& path_text = Member(op, "path")->get_ref<const std::string&>();
  const Json* value = Member(op, "value");
  auto need_value = [&]() -> Status {
    if (value == nullptr) return InvalidError(kind + " operation has no \"value\"");
    return Status::Ok();
  };
  if (kind == "add") {
    CAPSTAN_RETURN_IF_ERROR(need_value());
    return Add(doc, *path, path_text, *value);
  }
  if (kind == "remove") return Remove(doc, *path, path_text, "remove");
  if (kind == "replace") {
    CAPSTAN_RETURN_IF_ERROR(need_value());
    Json* target = Find(doc, *path, path->size());
    if (target == nullptr) {
      return Missing("replace operation does not apply: doc is missing key", path_text);
    }
    *target = *value;
    return Status::Ok();
  }
  if (kind == "test") {
    CAPSTAN_RETURN_IF_ERROR(need_value());
    Json* target = Find(doc, *path, path->size());
    if (target == nullptr) {
      return Missing("test operation does not apply: is missing path", path_text);
    }
    if (*target != *value)
      return InvalidError("testing value " + path_text + " failed: test failed");
    return Status::Ok();
  }
  if (kind == "move" || kind == "copy") {
    Result<std::vector<std::string>> from = PointerMember(op, "from");
    if (!from.ok()) return from.status();
    const std::string& from_text = Member(op, "from")->get_ref<const std::string&>();
    Json* source = Find(doc, *from, from->size());
    if (source == nullptr) {
      return Missing(kind + " operation does not apply: doc is missing from path", from_text);
    }
    Json copy = *source;
    if (kind == "move") {
      if (*from == *path) return Status::Ok();
      if (IsProperPrefix(*from, *path)) {
        return InvalidError("move operation cannot move " + from_text + " into its own child " +
                            path_text);
      }
      CAPSTAN_RETURN_IF_ERROR(Remove(doc, *from, from_text, "move"));
    }
    return Add(doc, *path, path_text, std::move(copy));
  }
  return InvalidError("Unexpected kind: " + kind);
}

}  // namespace

Result<std::vector<std::string>> ParseJsonPointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') {
    return InvalidError("JSON pointer " + Quoted(pointer) + " must start with '/'");
  }
  std::string cur;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    char c = pointer[i];
    if (c == '~') {
      char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
      if (next != '0' && next != '1') {
        return InvalidError("JSON pointer " + Quoted(pointer) + " has an invalid escape");
      }
      cur += next == '0' ? '~' : '/';
      ++i;
      continue;
    }
    cur += c;
  }
  return tokens;
}

std::string JsonPointerString(const std::vector<std::string>& tokens) {
  std::string out;
  for (const std::string& t : tokens) {
    out += '/';
    for (char c : t) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
  }
  return out;
}

Result<Json> ApplyJsonPatch(const Json& document, const Json& patch) {
  if (!patch.is_array()) return BadRequestError("json patch must be an array of operations");
  for (const Json& op : patch) {
    if (!op.is_object()) return BadRequestError("json patch operations must be objects");
  }
  if (patch.size() > kMaxJsonPatchOperations) {
    return Status(StatusCode::kRequestEntityTooLarge,
                  "The allowed maximum operations in a JSON patch is " +
                      std::to_string(kMaxJsonPatchOperations) + ", got " +
                      std::to_string(patch.size()));
  }
  Json doc = document;
  for (size_t i = 0; i < patch.size(); ++i) {
    Status s = ApplyOne(doc, patch[i]);
    if (!s.ok()) {
      return InvalidError("json patch operation " + std::to_string(i) + ": " + s.message());
    }
  }
  return doc;
}

Json ApplyMergePatch(const Json& document, const Json& patch) {
  if (!patch.is_object()) return patch;
  Json result = document.is_object() ? document : Json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      result.erase(key);
      continue;
    }
    auto it = result.find(key);
    static const Json kNull;
    result[key] = ApplyMergePatch(it == result.end() ? kNull : *it, value);
  }
  return result;
}

}  // namespace capstan::patch
