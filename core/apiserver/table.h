// Server-side Table output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the columns
// kubectl users know per kind (pods: NAME READY STATUS RESTARTS AGE | IP NODE ...), Age strings
// computed on the server, and rows carrying PartialObjectMetadata or the full object.
// Column sets live in table_columns.cc; this file declares the conversion.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace capstan::apiserver {

// "5s", "3m20s", "2d3h", as kubectl prints ages (upstream's HumanDuration).
std::string HumanDuration(int64_t millis);

enum class IncludeObject : uint8_t { kNone, kMetadata, kObject };
// Parses the `includeObject` query parameter; unknown and empty mean kMetadata.
IncludeObject ParseIncludeObject(std::string_view value);

struct TableColumn {
  std::string name;
  std::string type;  // string, integer, date, number, boolean
  std::string format;
  std::string description;
  int priority = 0;  // 1: only with -o wide
};

// A kind's columns and how to fill a row. Rows are computed from the parsed object.
struct TablePrinter {
  std::vector<TableColumn> columns;
  // Fills the cells for one object (one per column). `now_ms` for ages.
  void (*cells)(const nlohmann::json& obj, int64_t now_ms, nlohmann::json* row_cells) = nullptr;
};

// The printer for `kind` in `group` ("" core); a Name/Age printer for unknown kinds.
const TablePrinter& PrinterFor(std::string_view group, std::string_view kind);

// Builds a meta.k8s.io/v1 Table of `objects` (parsed). `resource_version` and `continue_token`
// go to its metadata; `with_headers` false omits columnDefinitions (watch events after the first).
nlohmann::json BuildTable(std::string_view group, std::string_view kind,
                          const std::vector<nlohmann::json>& objects, IncludeObject include,
                          int64_t now_ms, const std::string& resource_version,
                          const std::string& continue_token, bool with_headers = true);

// The PartialObjectMetadata kubectl reads NAMESPACE and LABELS from.
nlohmann::json PartialObjectMetadata(const nlohmann::json& obj);

}  // namespace capstan::apiserver
