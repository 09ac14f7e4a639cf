// Non-throwing accessors over nlohmann::json for the strategies in core/registry: a request body
// may carry any JSON types, so lookups check types instead of trusting them. Header-only.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace capstan::registry {

using Json = nlohmann::json;

// The member `key` of `obj`, or nullptr when `obj` is no object, lacks `key`, or holds null there.
inline const Json* Find(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}
inline Json* Find(Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

inline bool Has(const Json& obj, std::string_view key) { return Find(obj, key) != nullptr; }

// True for the JSON string "" (nlohmann's empty() is false for every string).
inline bool IsEmptyString(const Json& v) {
  return v.is_string() && v.get_ref<const std::string&>().empty();
}

// The string at `key`, or "" when absent or not a string.
inline std::string Str(const Json& obj, std::string_view key) {
  const Json* v = Find(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

// The integer at `key`, or `fallback` when absent or not an integer.
inline int64_t Int(const Json& obj, std::string_view key, int64_t fallback = 0) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return fallback;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_unsigned()) return static_cast<int64_t>(v->get<uint64_t>());
  return fallback;
}

inline bool Bool(const Json& obj, std::string_view key, bool fallback = false) {
  const Json* v = Find(obj, key);
  return v != nullptr && v->is_boolean() ? v->get<bool>() : fallback;
}

// The object at `key` (created, replacing null, when absent). Non-objects are left alone and
// nullptr is returned, so callers skip data whose shape validation will reject.
inline Json* ObjectAt(Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  Json& v = obj[std::string(key)];
  if (v.is_null()) v = Json::object();
  return v.is_object() ? &v : nullptr;
}

// The array at `key`, or nullptr when absent or not an array (never created).
inline Json* ArrayAt(Json& obj, std::string_view key) {
  Json* v = Find(obj, key);
  return v != nullptr && v->is_array() ? v : nullptr;
}
inline const Json* ArrayAt(const Json& obj, std::string_view key) {
  const Json* v = Find(obj, key);
  return v != nullptr && v->is_array() ? v : nullptr;
}
inline const Json* ObjectIn(const Json& obj, std::string_view key) {
  const Json* v = Find(obj, key);
  return v != nullptr && v->is_object() ? v : nullptr;
}

// Sets `obj[key] = value` when the member is absent or null. Returns true when it set it.
inline bool SetDefault(Json& obj, std::string_view key, Json value) {
  if (!obj.is_object()) return false;
  Json& v = obj[std::string(key)];
  if (!v.is_null()) return false;
  v = std::move(value);
  return true;
}

// Sets a string member when absent, null or "" (upstream's `if x == "" { x = default }`).
inline bool SetDefaultString(Json& obj, std::string_view key, std::string_view value) {
  if (!obj.is_object()) return false;
  Json& v = obj[std::string(key)];
  if (v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty())) {
    v = std::string(value);
    return true;
  }
  return false;
}

// Sets an integer member when absent, null or 0 (upstream's `if x == 0 { x = default }`).
inline void SetDefaultNonZero(Json& obj, std::string_view key, int64_t value) {
  if (!obj.is_object()) return;
  Json& v = obj[std::string(key)];
  if (v.is_null() || (v.is_number() && v == 0)) v = value;
}

}  // namespace capstan::registry
