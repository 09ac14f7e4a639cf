// Validation of custom resources against a structural schema (crd_schema.h), worded as upstream's
// apiextensions validation renders kube-openapi errors: `<path> in body must be of type
// <type>: "<actual>"`, `Required value`, `Unsupported value`, `should be less than or equal to`.
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string_view>

#include "core/apiserver/crd_schema_node.h"
#include "core/registry/field_errors.h"

namespace capstan::apiserver {
namespace {

using Json = nlohmann::json;
using Node = StructuralSchema::Node;

std::string InBody(const std::string& path) { return path.empty() ? "body" : path + " in body"; }

// Go's %v of a float64 bound in messages: integral values without a fraction.
std::string FormatNumber(double v) {
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  Json j = v;
  return j.dump();
}

bool IsIntegral(const Json& v) {
  if (v.is_number_integer()) return true;
  if (!v.is_number_float()) return false;
  double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

// The JSON type name kube-openapi reports for a value ("integer" for integral numbers).
std::string TypeOf(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return IsIntegral(v) ? "integer" : "number";
  }
}

bool TypeMatches(const std::string& want, const Json& v) {
  if (want == "number") return v.is_number();
  if (want == "integer") return IsIntegral(v);
  return TypeOf(v) == want;
}

size_t RuneCount(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool ValidDateTime(const std::string& s) {
  static const std::regex re(
      R"(^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$)");
  return SchemaPatternMatches(re, s);
}

bool ValidFormat(const std::string& format, const std::string& s) {
  if (format == "date-time") return ValidDateTime(s);
  if (format == "date") {
    return s.size() == 10 && IsDigits(s.substr(0, 4)) && s[4] == '-' && IsDigits(s.substr(5, 2)) &&
           s[7] == '-' && IsDigits(s.substr(8, 2));
  }
  if (format == "uuid") {
    static const std::regex re(
        R"(^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$)");
    return SchemaPatternMatches(re, s);
  }
  if (format == "byte") {
    static const std::regex re(R"(^[A-Za-z0-9+/]*={0,2}$)");
    return s.size() % 4 == 0 && SchemaPatternMatches(re, s);
  }
  return true;  // other formats are not checked
}

class Validator {
 public:
  explicit Validator(std::vector<StatusCause>* out) : out_(out) {}

  // `whole_object`: the root or an embedded resource (apiVersion/kind/metadata rules apply).
  void Check(const Node& n, const Json& v, const std::string& path, bool whole_object) {
    if (v.is_null()) {
      if (!n.nullable && !n.type.empty()) TypeInvalid(path, v, n.type);
      if (!n.nullable && n.int_or_string) TypeInvalid(path, v, "integer,string");
      return;
    }
    if (n.int_or_string && !v.is_string() && !IsIntegral(v)) {
      return TypeInvalid(path, v, "integer,string");
    }
    if (!n.type.empty() && !TypeMatches(n.type, v)) return TypeInvalid(path, v, n.type);
    Combinators(n, v, path);
    if (v.is_string()) String(n, v.get_ref<const std::string&>(), path);
    if (v.is_number()) Number(n, v, path);
    if (v.is_array()) Array(n, v, path);
    if (!n.enum_values.empty()) Enum(n, v, path);
    if (v.is_object()) Object(n, v, path, whole_object);
  }

  size_t count() const { return out_->size(); }

 private:
  void Add(const char* reason, const std::string& path, std::string message) {
    out_->push_back({reason, std::move(message), path});
  }
  void Invalid(const std::string& path, const Json& value, const std::string& detail) {
    Add("FieldValueInvalid", path, "Invalid value: " + registry::GoValue(value) + ": " + detail);
  }
  void TypeInvalid(const std::string& path, const Json& v, const std::string& want) {
    std::string actual = TypeOf(v);
    Add("FieldValueTypeInvalid", path,
        "Invalid value: " + registry::GoQuoted(actual) + ": " + InBody(path) + " must be of type " +
            want + ": " + registry::GoQuoted(actual));
  }

  void String(const Node& n, const std::string& s, const std::string& path) {
    if (n.max_length && RuneCount(s) > static_cast<size_t>(*n.max_length)) {
      Add("FieldValueTooLong", path,
          "Too long: may not be longer than " + std::to_string(*n.max_length));
    }
    if (n.min_length && RuneCount(s) < static_cast<size_t>(*n.min_length)) {
      Invalid(
          path, s,
          InBody(path) + " should be at least " + std::to_string(*n.min_length) + " chars long");
    }
    if (n.pattern && !SchemaPatternMatches(*n.pattern, s)) {
      Invalid(path, s, InBody(path) + " should match '" + n.pattern_text + "'");
    }
    if (!n.format.empty() && !ValidFormat(n.format, s)) {
      Add("FieldValueTypeInvalid", path,
          "Invalid value: " + registry::GoQuoted(s) + ": " + InBody(path) + " must be of type " +
              n.format + ": " + registry::GoQuoted(s));
    }
  }

  void Number(const Node& n, const Json& v, const std::string& path) {
    double d = v.get<double>();
    if (n.multiple_of && *n.multiple_of > 0) {
      double q = d / *n.multiple_of;
      if (std::fabs(q - std::round(q)) > 1e-9) {
        Invalid(path, v, InBody(path) + " should be a multiple of " + FormatNumber(*n.multiple_of));
      }
    }
    if (n.maximum) {
      bool bad = n.exclusive_maximum ? d >= *n.maximum : d > *n.maximum;
      if (bad) {
        Invalid(path, v,
                InBody(path) +
                    (n.exclusive_maximum ? " should be less than "
                                         : " should be less than or equal to ") +
                    FormatNumber(*n.maximum));
      }
    }
    if (n.minimum) {
      bool bad = n.exclusive_minimum ? d <= *n.minimum : d < *n.minimum;
      if (bad) {
        Invalid(path, v,
                InBody(path) +
                    (n.exclusive_minimum ? " should be greater than "
                                         : " should be greater than or equal to ") +
                    FormatNumber(*n.minimum));
      }
    }
    if (n.format == "int32" && IsIntegral(v) &&
        (d < std::numeric_limits<int32_t>::min() || d > std::numeric_limits<int32_t>::max())) {
      Invalid(path, v, InBody(path) + " must be of type int32: " + registry::GoQuoted(v.dump()));
    }
    if (n.format == "int64" && v.is_number_unsigned() &&
        v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      Invalid(path, v, InBody(path) + " must be of type int64: " + registry::GoQuoted(v.dump()));
    }
  }

  void Array(const Node& n, const Json& v, const std::string& path) {
    if (n.max_items && v.size() > static_cast<size_t>(*n.max_items)) {
      Add("FieldValueTooMany", path,
          "Too many: " + std::to_string(v.size()) + ": must have at most " +
              std::to_string(*n.max_items) + (*n.max_items == 1 ? " item" : " items"));
    }
    if (n.min_items && v.size() < static_cast<size_t>(*n.min_items)) {
      Invalid(path, static_cast<int64_t>(v.size()),
              InBody(path) + " should have at least " + std::to_string(*n.min_items) + " items");
    }
    if (n.list_type == "set" || n.list_type == "map") {
      std::set<std::string> seen;
      for (size_t i = 0; i < v.size(); ++i) {
        Json key = v[i];
        if (n.list_type == "map" && v[i].is_object()) {
          key = Json::object();
          for (const std::string& k : n.list_map_keys) {
            if (v[i].contains(k)) key[k] = v[i][k];
          }
        }
        if (!seen.insert(key.dump()).second) {
          Add("FieldValueDuplicate", registry::Index(path, i),
              "Duplicate value: " + registry::GoValue(key));
        }
      }
    }
    if (n.items == nullptr) return;
    for (size_t i = 0; i < v.size(); ++i) {
      Check(*n.items, v[i], registry::Index(path, i), n.items->embedded_resource);
    }
  }

  void Enum(const Node& n, const Json& v, const std::string& path) {
    for (const Json& e : n.enum_values) {
      if (e == v) return;
    }
    std::vector<std::string> supported;
    supported.reserve(n.enum_values.size());
    for (const Json& e : n.enum_values)
      supported.push_back(e.is_string() ? e.get<std::string>() : e.dump());
    std::string m = "Unsupported value: " + registry::GoValue(v) + ": supported values: ";
    for (size_t i = 0; i < supported.size(); ++i) {
      if (i > 0) m += ", ";
      m += registry::GoQuoted(supported[i]);
    }
    Add("FieldValueNotSupported", path, std::move(m));
  }

  void Object(const Node& n, const Json& v, const std::string& path, bool whole_object) {
    if (whole_object && !path.empty()) {  // embedded resource
      for (const char* k : {"apiVersion", "kind"}) {
        const Json* f = v.contains(k) ? &v[k] : nullptr;
        if (f == nullptr || !f->is_string() || f->get_ref<const std::string&>().empty()) {
          Add("FieldValueRequired", registry::Child(path, k), "Required value: must not be empty");
        }
      }
    }
    for (const std::string& r : n.required) {
      if (!v.contains(r)) Add("FieldValueRequired", registry::Child(path, r), "Required value");
    }
    if (n.max_properties && v.size() > static_cast<size_t>(*n.max_properties)) {
      Add("FieldValueTooMany", path,
          "Too many: " + std::to_string(v.size()) + ": must have at most " +
              std::to_string(*n.max_properties) + " items");
    }
    if (n.min_properties && v.size() < static_cast<size_t>(*n.min_properties)) {
      Invalid(path, static_cast<int64_t>(v.size()),
              InBody(path) + " should have at least " + std::to_string(*n.min_properties) +
                  " properties");
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& key = it.key();
      std::string child = registry::Child(path, key);
      if (whole_object && (key == "apiVersion" || key == "kind")) continue;
      if (whole_object && key == "metadata") {
        MetadataNames(n, *it, child);
        continue;
      }
      if (auto p = n.properties.find(key); p != n.properties.end()) {
        Check(*p->second, *it, child, p->second->embedded_resource);
      } else if (n.additional_properties != nullptr) {
        Check(*n.additional_properties, *it, child, n.additional_properties->embedded_resource);
      }
    }
  }

  // Only metadata.name and metadata.generateName may be constrained by a CRD schema.
  void MetadataNames(const Node& n, const Json& meta, const std::string& path) {
    auto p = n.properties.find("metadata");
    if (p == n.properties.end() || !meta.is_object()) return;
    for (const char* k : {"name", "generateName"}) {
      auto s = p->second->properties.find(k);
      if (s != p->second->properties.end() && meta.contains(k)) {
        Check(*s->second, meta[k], registry::Child(path, k), false);
      }
    }
  }

  // allOf/anyOf/oneOf/not: value validations; failures are reported on the field itself.
  void Combinators(const Node& n, const Json& v, const std::string& path) {
    for (const auto& s : n.all_of) Check(*s, v, path, false);
    auto passes = [&](const Node& s) {
      std::vector<StatusCause> scratch;
      Validator(&scratch).Check(s, v, path, false);
      return scratch.empty();
    };
    if (!n.any_of.empty()) {
      bool any = false;
      for (const auto& s : n.any_of) any = any || passes(*s);
      if (!any) Invalid(path, v, InBody(path) + " must validate at least one schema (anyOf)");
    }
    if (!n.one_of.empty()) {
      int matched = 0;
      for (const auto& s : n.one_of) matched += passes(*s) ? 1 : 0;
      if (matched != 1)
        Invalid(path, v, InBody(path) + " must validate one and only one schema (oneOf)");
    }
    if (n.not_schema && passes(*n.not_schema)) {
      Invalid(path, v, InBody(path) + " must not validate the schema (not)");
    }
  }

  std::vector<StatusCause>* out_;
};

}  // namespace

void StructuralSchema::Validate(const Json& object, std::vector<StatusCause>* causes) const {
  Validator(causes).Check(*root_, object, "", true);
}

}  // namespace capstan::apiserver
