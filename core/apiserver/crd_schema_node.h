// Internal to crd_schema.cc (parsing, defaulting), crd_schema_prune.cc and
// crd_schema_validation.cc: one parsed level of a CRD structural schema. Not for use elsewhere.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/apiserver/crd_schema.h"

namespace capstan::apiserver {

struct StructuralSchema::Node {
  std::string type;  // "", object, array, string, integer, number, boolean
  std::string format;
  bool nullable = false;
  bool int_or_string = false;
  bool preserve_unknown = false;
  bool embedded_resource = false;

  bool has_properties = false;
  std::map<std::string, std::unique_ptr<Node>> properties;
  std::unique_ptr<Node> items;
  std::unique_ptr<Node> additional_properties;  // a schema for map values
  bool additional_properties_any = false;       // `additionalProperties: true`

  std::vector<std::string> required;
  std::vector<nlohmann::json> enum_values;
  std::optional<double> minimum;
  std::optional<double> maximum;
  bool exclusive_minimum = false;
  bool exclusive_maximum = false;
  std::optional<double> multiple_of;
  std::optional<int64_t> min_length;
  std::optional<int64_t> max_length;
  std::optional<int64_t> min_items;
  std::optional<int64_t> max_items;
  std::optional<int64_t> min_properties;
  std::optional<int64_t> max_properties;
  std::string pattern_text;
  std::optional<std::regex> pattern;
  std::optional<nlohmann::json> default_value;
  std::string list_type;  // "", atomic, set, map
  std::vector<std::string> list_map_keys;

  // Value validations only (structural schemas carry no types under these).
  std::vector<std::unique_ptr<Node>> all_of;
  std::vector<std::unique_ptr<Node>> any_of;
  std::vector<std::unique_ptr<Node>> one_of;
  std::unique_ptr<Node> not_schema;
};

// `apiVersion`, `kind` and `metadata`: kept whole (not pruned, not defaulted by the schema) at
// the root of an object and of an embedded resource.
inline bool IsMetaField(std::string_view key) {
  return key == "apiVersion" || key == "kind" || key == "metadata";
}

// True when `text` matches `re` anywhere (JSON Schema `pattern` semantics). A regex engine
// failure (e.g. too complex) counts as no match.
bool SchemaPatternMatches(const std::regex& re, const std::string& text);

}  // namespace capstan::apiserver
