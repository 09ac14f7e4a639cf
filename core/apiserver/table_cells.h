// Cell helpers shared by the per-kind Table printers (table_columns.cc) and the printers of
// policy kinds (table_columns_policy.cc: HorizontalPodAutoscaler, ResourceQuota).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

#include "core/apiserver/object_meta.h"
#include "core/apiserver/table.h"

namespace capstan::apiserver::table_cells {

using json = nlohmann::json;

inline const json& At(const json& obj, std::initializer_list<const char*> path) {
  static const json kNull;
  const json* cur = &obj;
  for (const char* p : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(p);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

inline std::string Str(const json& v, const std::string& fallback = "") {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return fallback;
}

inline int64_t Int(const json& v) { return v.is_number_integer() ? v.get<int64_t>() : 0; }

inline std::string Age(const json& obj, int64_t now_ms) {
  int64_t created = 0;
  if (!ParseRfc3339(Str(At(obj, {"metadata", "creationTimestamp"})), &created)) return "<unknown>";
  return HumanDuration(now_ms - created);
}

inline std::string Name(const json& obj) { return Str(At(obj, {"metadata", "name"})); }

inline TableColumn Col(std::string name, int priority = 0, std::string format = "",
                       std::string type = "string") {
  return {std::move(name), std::move(type), std::move(format), "", priority};
}

// Upstream's HPA row: NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE, TARGETS as
// "cpu: 90%/50%" per metric ("<unknown>" before a measurement).
void HpaCells(const json& hpa, int64_t now_ms, json* cells);
// Upstream's ResourceQuota row: NAME AGE REQUEST LIMIT, e.g. "pods: 2/2, requests.cpu: 200m/1".
void ResourceQuotaCells(const json& quota, int64_t now_ms, json* cells);

}  // namespace capstan::apiserver::table_cells
