// Optional: a non-throwing adapter over nlohmann/json for plugins that parse JSON (config,
// requests). The rest of the SDK does not include it, so plugins without nlohmann/json never see
// it. All nlohmann calls that can throw stay inside this file (house rule: one adapter per
// throwing library). Header-only, C++17; every function is reentrant.
#ifndef CAPSTAN_SDK_JSON_H_
#define CAPSTAN_SDK_JSON_H_

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace capstan::sdk::json {

using Json = nlohmann::json;

// The parsed document, or nullopt when `text` is not JSON.
inline std::optional<Json> Parse(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// Compact text; invalid UTF-8 in strings is replaced with U+FFFD instead of throwing.
inline std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Member `key` of object `j`, or NULL when `j` is not an object or lacks it.
inline const Json* Find(const Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}
// Follows a path of object keys ({"metadata", "labels"}); NULL when any step is missing.
inline const Json* FindPath(const Json& j, std::initializer_list<std::string_view> path) {
  const Json* cur = &j;
  for (std::string_view key : path) {
    cur = Find(*cur, key);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

// Typed member reads: nullopt when absent or of another type.
inline std::optional<std::string> GetString(const Json& j, std::string_view key) {
  const Json* v = Find(j, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get_ref<const std::string&>();
}
inline std::optional<int64_t> GetInt(const Json& j, std::string_view key) {
  const Json* v = Find(j, key);
  if (v == nullptr || !v->is_number_integer()) return std::nullopt;
  return v->get<int64_t>();
}
inline std::optional<bool> GetBool(const Json& j, std::string_view key) {
  const Json* v = Find(j, key);
  if (v == nullptr || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}
inline const Json* GetObject(const Json& j, std::string_view key) {
  const Json* v = Find(j, key);
  return v != nullptr && v->is_object() ? v : nullptr;
}
inline const Json* GetArray(const Json& j, std::string_view key) {
  const Json* v = Find(j, key);
  return v != nullptr && v->is_array() ? v : nullptr;
}
// The string value of `j` itself (for array elements), or nullopt.
inline std::optional<std::string> AsString(const Json& j) {
  if (!j.is_string()) return std::nullopt;
  return j.get_ref<const std::string&>();
}

}  // namespace capstan::sdk::json

#endif  // CAPSTAN_SDK_JSON_H_
