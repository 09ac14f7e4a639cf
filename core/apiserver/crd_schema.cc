// Parsing and defaulting of CRD structural schemas (crd_schema.h); pruning is in
// crd_schema_prune.cc, validation in crd_schema_validation.cc. The node type is in
// crd_schema_node.h.
#include <algorithm>
#include <array>
#include <string_view>
#include <type_traits>

#include "core/apiserver/crd_schema_node.h"
#include "core/registry/field_errors.h"

namespace capstan::apiserver {
namespace {

using Json = nlohmann::json;
using Node = StructuralSchema::Node;

constexpr std::array<std::string_view, 6> kTypes = {"object",  "array",  "string",
                                                    "integer", "number", "boolean"};
// Where a node sits, which decides the wording of a missing `type`.
enum class Position : uint8_t { kRoot, kField, kItems, kValueValidation };

class Parser {
 public:
  explicit Parser(std::vector<StatusCause>* problems) : problems_(problems) {}

  std::unique_ptr<Node> Parse(const Json& j, const std::string& path, Position pos) {
    auto node = std::make_unique<Node>();
    if (!j.is_object()) {
      errs_.Invalid(path, j, "must be a schema object");
      return node;
    }
    node->nullable = Flag(j, "nullable", path);
    node->int_or_string = Flag(j, "x-kubernetes-int-or-string", path);
    node->preserve_unknown = Flag(j, "x-kubernetes-preserve-unknown-fields", path);
    node->embedded_resource = Flag(j, "x-kubernetes-embedded-resource", path);
    node->type = Text(j, "type", path);
    node->format = Text(j, "format", path);
    CheckType(*node, path, pos);
    if (auto p = j.find("properties"); p != j.end() && !p->is_null()) {
      if (!p->is_object()) {
        errs_.Invalid(registry::Child(path, "properties"), *p, "must be an object");
      } else {
        node->has_properties = true;
        for (auto it = p->begin(); it != p->end(); ++it) {
          node->properties.emplace(
              it.key(), Parse(*it, registry::Key(registry::Child(path, "properties"), it.key()),
                              pos == Position::kValueValidation ? pos : Position::kField));
        }
      }
    }
    if (auto it = j.find("items"); it != j.end() && !it->is_null()) {
      if (it->is_array()) {
        errs_.Forbidden(registry::Child(path, "items"),
                        "items must be a schema object and not an array");
      } else {
        node->items = Parse(*it, registry::Child(path, "items"),
                            pos == Position::kValueValidation ? pos : Position::kItems);
      }
    } else if (node->type == "array" && pos != Position::kValueValidation) {
      errs_.Required(registry::Child(path, "items"), "must be specified");
    }
    ParseAdditionalProperties(j, *node, path, pos);
    ParseConstraints(j, *node, path);
    ParseCombinators(j, *node, path);
    return node;
  }

  void Finish() {
    if (problems_ != nullptr) errs_.AppendTo(problems_);
  }
  bool ok() const { return errs_.empty(); }
  std::string Summary() const {
    std::string m;
    for (const StatusCause& c : errs_.causes()) {
      if (!m.empty()) m += ", ";
      m += c.field + ": " + c.message;
    }
    return m;
  }

 private:
  bool Flag(const Json& j, const char* key, const std::string& path) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return false;
    if (!it->is_boolean()) {
      errs_.Invalid(registry::Child(path, key), *it, "must be a boolean");
      return false;
    }
    return it->get<bool>();
  }
  std::string Text(const Json& j, const char* key, const std::string& path) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return "";
    if (!it->is_string()) {
      errs_.Invalid(registry::Child(path, key), *it, "must be a string");
      return "";
    }
    return it->get<std::string>();
  }
  template <typename T>
  std::optional<T> Number(const Json& j, const char* key, const std::string& path) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if constexpr (std::is_integral_v<T>) {
      if (!it->is_number_integer() || it->get<int64_t>() < 0) {
        errs_.Invalid(registry::Child(path, key), *it, "must be a non-negative integer");
        return std::nullopt;
      }
    } else if (!it->is_number()) {
      errs_.Invalid(registry::Child(path, key), *it, "must be a number");
      return std::nullopt;
    }
    return it->get<T>();
  }

  void CheckType(const Node& node, const std::string& path, Position pos) {
    std::string type_path = registry::Child(path, "type");
    if (!node.type.empty() && std::find(kTypes.begin(), kTypes.end(), node.type) == kTypes.end()) {
      errs_.NotSupported(type_path, node.type,
                         {"array", "boolean", "integer", "number", "object", "string"});
      return;
    }
    if (pos == Position::kRoot && node.type != "object") {
      errs_.Invalid(type_path, node.type, "must be object at the root");
      return;
    }
    if (node.int_or_string && !node.type.empty()) {
      errs_.Invalid(type_path, node.type, "must be empty if x-kubernetes-int-or-string is true");
      return;
    }
    if (node.type.empty() && !node.int_or_string && !node.preserve_unknown) {
      if (pos == Position::kField) {
        errs_.Required(type_path, "must not be empty for specified object fields");
      } else if (pos == Position::kItems) {
        errs_.Required(type_path, "must not be empty for specified array items");
      }
    }
  }

  void ParseAdditionalProperties(const Json& j, Node& node, const std::string& path, Position pos) {
    auto it = j.find("additionalProperties");
    if (it == j.end() || it->is_null()) return;
    std::string ap_path = registry::Child(path, "additionalProperties");
    if (it->is_boolean()) {
      node.additional_properties_any = it->get<bool>();
      if (!it->get<bool>() && pos != Position::kValueValidation) {
        errs_.Forbidden(ap_path, "must not be used with false");  // structural rule
      }
    } else if (it->is_object()) {
      node.additional_properties =
          Parse(*it, ap_path, pos == Position::kValueValidation ? pos : Position::kField);
    } else {
      errs_.Invalid(ap_path, *it, "must be a boolean or a schema object");
    }
    if (node.has_properties && (node.additional_properties || node.additional_properties_any)) {
      errs_.Forbidden(ap_path, "additionalProperties and properties are mutual exclusive");
    }
  }

  void ParseConstraints(const Json& j, Node& node, const std::string& path) {
    if (auto it = j.find("required"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) {
        errs_.Invalid(registry::Child(path, "required"), *it, "must be a list of strings");
      } else {
        for (const Json& r : *it) {
          if (r.is_string()) node.required.push_back(r.get<std::string>());
        }
      }
    }
    if (auto it = j.find("enum"); it != j.end() && it->is_array()) {
      node.enum_values.assign(it->begin(), it->end());
    }
    node.minimum = Number<double>(j, "minimum", path);
    node.maximum = Number<double>(j, "maximum", path);
    node.exclusive_minimum = Flag(j, "exclusiveMinimum", path);
    node.exclusive_maximum = Flag(j, "exclusiveMaximum", path);
    node.multiple_of = Number<double>(j, "multipleOf", path);
    node.min_length = Number<int64_t>(j, "minLength", path);
    node.max_length = Number<int64_t>(j, "maxLength", path);
    node.min_items = Number<int64_t>(j, "minItems", path);
    node.max_items = Number<int64_t>(j, "maxItems", path);
    node.min_properties = Number<int64_t>(j, "minProperties", path);
    node.max_properties = Number<int64_t>(j, "maxProperties", path);
    node.pattern_text = Text(j, "pattern", path);
    if (!node.pattern_text.empty()) {
      try {
        node.pattern.emplace(node.pattern_text, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        errs_.Invalid(registry::Child(path, "pattern"), node.pattern_text,
                      std::string("must be a valid regular expression: ") + e.what());
      }
    }
    if (auto it = j.find("default"); it != j.end() && !it->is_null()) node.default_value = *it;
    node.list_type = Text(j, "x-kubernetes-list-type", path);
    if (auto it = j.find("x-kubernetes-list-map-keys"); it != j.end() && it->is_array()) {
      for (const Json& k : *it) {
        if (k.is_string()) node.list_map_keys.push_back(k.get<std::string>());
      }
    }
  }

  void ParseCombinators(const Json& j, Node& node, const std::string& path) {
    auto list = [&](const char* key, std::vector<std::unique_ptr<Node>>& out) {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) return;
      if (!it->is_array()) {
        errs_.Invalid(registry::Child(path, key), *it, "must be a list of schemas");
        return;
      }
      for (size_t i = 0; i < it->size(); ++i) {
        out.push_back(Parse((*it)[i], registry::Index(registry::Child(path, key), i),
                            Position::kValueValidation));
      }
    };
    list("allOf", node.all_of);
    list("anyOf", node.any_of);
    list("oneOf", node.one_of);
    if (auto it = j.find("not"); it != j.end() && !it->is_null()) {
      node.not_schema = Parse(*it, registry::Child(path, "not"), Position::kValueValidation);
    }
  }

  std::vector<StatusCause>* problems_;
  registry::FieldErrors errs_;
};

void DefaultNode(const Node& node, Json& value, bool skip_meta) {
  if (value.is_array()) {
    if (node.items == nullptr) return;
    for (Json& item : value) DefaultNode(*node.items, item, node.items->embedded_resource);
    return;
  }
  if (!value.is_object()) return;
  for (const auto& [name, prop] : node.properties) {
    if (!prop->default_value || (skip_meta && IsMetaField(name))) continue;
    auto it = value.find(name);
    if (it == value.end() || (it->is_null() && !prop->nullable)) value[name] = *prop->default_value;
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (skip_meta && IsMetaField(it.key())) continue;
    if (auto p = node.properties.find(it.key()); p != node.properties.end()) {
      DefaultNode(*p->second, *it, p->second->embedded_resource);
    } else if (node.additional_properties != nullptr) {
      DefaultNode(*node.additional_properties, *it, node.additional_properties->embedded_resource);
    }
  }
}

}  // namespace

bool SchemaPatternMatches(const std::regex& re, const std::string& text) {
  try {
    return std::regex_search(text, re);
  } catch (const std::regex_error&) {
    return false;
  }
}

StructuralSchema::StructuralSchema(Json json, std::unique_ptr<Node> root)
    : json_(std::move(json)), root_(std::move(root)) {}

StructuralSchema::~StructuralSchema() = default;

Result<std::shared_ptr<const StructuralSchema>> StructuralSchema::Parse(
    const Json& schema, std::vector<StatusCause>* problems) {
  Parser parser(problems);
  std::unique_ptr<Node> root = parser.Parse(schema, "", Position::kRoot);
  parser.Finish();
  if (!parser.ok()) return InvalidError("invalid schema: " + parser.Summary());
  return std::shared_ptr<const StructuralSchema>(new StructuralSchema(schema, std::move(root)));
}

void StructuralSchema::Default(Json& object) const { DefaultNode(*root_, object, true); }

}  // namespace capstan::apiserver
