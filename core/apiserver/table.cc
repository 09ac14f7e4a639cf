// Table construction and Age strings (table.h); per-kind columns are in table_columns.cc.
#include "core/apiserver/table.h"

#include "core/apiserver/object_meta.h"

namespace capstan::apiserver {

std::string HumanDuration(int64_t millis) {
  int64_t seconds = millis / 1000;
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return std::to_string(seconds) + "s";
  int64_t minutes = seconds / 60;
  if (minutes < 10) {
    int64_t s = seconds % 60;
    return std::to_string(minutes) + "m" + (s == 0 ? "" : std::to_string(s) + "s");
  }
  if (minutes < 180) return std::to_string(minutes) + "m";
  int64_t hours = minutes / 60;
  if (hours < 8) {
    int64_t m = minutes % 60;
    return std::to_string(hours) + "h" + (m == 0 ? "" : std::to_string(m) + "m");
  }
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    return std::to_string(hours / 24) + "d" + (h == 0 ? "" : std::to_string(h) + "h");
  }
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    int64_t d = (hours / 24) % 365;
    return std::to_string(hours / 24 / 365) + "y" + (d == 0 ? "" : std::to_string(d) + "d");
  }
  return std::to_string(hours / 24 / 365) + "y";
}

IncludeObject ParseIncludeObject(std::string_view value) {
  if (value == "None") return IncludeObject::kNone;
  if (value == "Object") return IncludeObject::kObject;
  return IncludeObject::kMetadata;
}

nlohmann::json PartialObjectMetadata(const nlohmann::json& obj) {
  nlohmann::json meta = obj.contains("metadata") ? obj["metadata"] : nlohmann::json::object();
  meta.erase("managedFields");
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", std::move(meta)}};
}

nlohmann::json BuildTable(std::string_view group, std::string_view kind,
                          const std::vector<nlohmann::json>& objects, IncludeObject include,
                          int64_t now_ms, const std::string& resource_version,
                          const std::string& continue_token, bool with_headers) {
  const TablePrinter& printer = PrinterFor(group, kind);
  nlohmann::json table = {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}};
  nlohmann::json meta = nlohmann::json::object();
  if (!resource_version.empty()) meta["resourceVersion"] = resource_version;
  if (!continue_token.empty()) meta["continue"] = continue_token;
  table["metadata"] = std::move(meta);
  nlohmann::json cols = nlohmann::json::array();
  if (with_headers) {
    for (const TableColumn& c : printer.columns) {
      cols.push_back({{"name", c.name},
                      {"type", c.type},
                      {"format", c.format},
                      {"description", c.description},
                      {"priority", c.priority}});
    }
  }
  table["columnDefinitions"] = std::move(cols);
  nlohmann::json rows = nlohmann::json::array();
  for (const nlohmann::json& obj : objects) {
    nlohmann::json cells = nlohmann::json::array();
    printer.cells(obj, now_ms, &cells);
    nlohmann::json row = {{"cells", std::move(cells)}};
    if (include == IncludeObject::kMetadata) row["object"] = PartialObjectMetadata(obj);
    if (include == IncludeObject::kObject) row["object"] = obj;
    rows.push_back(std::move(row));
  }
  table["rows"] = std::move(rows);
  return table;
}

}  // namespace capstan::apiserver
