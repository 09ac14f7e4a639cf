// Upstream `field.Error` wording (field_errors.h).
#include "core/registry/field_errors.h"

#include "core/selector/label_validation.h"

namespace capstan::registry {
namespace {

std::string StringMap(const nlohmann::json& m) {
  if (m.is_null()) return "map[string]string(nil)";
  if (!m.is_object()) return m.dump();
  std::string out = "map[string]string{";
  bool first = true;
  for (const auto& [k, v] : m.items()) {  // nlohmann objects iterate in key order
    if (!first) out += ", ";
    first = false;
    out += GoQuoted(k) + ":" + (v.is_string() ? GoQuoted(v.get_ref<const std::string&>()) : "\"\"");
  }
  return out + "}";
}

std::string StringSlice(const nlohmann::json& a) {
  if (a.is_null()) return "[]string(nil)";
  if (!a.is_array()) return a.dump();
  std::string out = "[]string{";
  for (size_t i = 0; i < a.size(); ++i) {
    if (i > 0) out += ", ";
    out += a[i].is_string() ? GoQuoted(a[i].get_ref<const std::string&>()) : a[i].dump();
  }
  return out + "}";
}

bool AllStrings(const nlohmann::json& j) {
  for (const auto& v : j) {
    if (!v.is_string()) return false;
  }
  return true;
}

}  // namespace

std::string Child(std::string_view path, std::string_view name) {
  std::string out(path);
  if (!out.empty()) out += '.';
  out += name;
  return out;
}

std::string Index(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::string Key(std::string_view path, std::string_view key) {
  return std::string(path) + "[" + std::string(key) + "]";
}

std::string GoQuoted(std::string_view s) { return selector::GoQuote(s); }

std::string GoValue(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::string:
      return GoQuoted(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::boolean:
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return value.dump();
    case nlohmann::json::value_t::array:
      if (AllStrings(value)) return StringSlice(value);
      break;
    case nlohmann::json::value_t::object:
      if (AllStrings(value)) return StringMap(value);
      break;
    default:
      break;
  }
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string GoLabelSelector(const nlohmann::json& selector) {
  const nlohmann::json empty;
  const nlohmann::json& labels =
      selector.is_object() && selector.contains("matchLabels") ? selector["matchLabels"] : empty;
  const nlohmann::json& exprs = selector.is_object() && selector.contains("matchExpressions")
                                    ? selector["matchExpressions"]
                                    : empty;
  std::string out = "v1.LabelSelector{MatchLabels:" + StringMap(labels) + ", MatchExpressions:";
  if (!exprs.is_array()) return out + "[]v1.LabelSelectorRequirement(nil)}";
  out += "[]v1.LabelSelectorRequirement{";
  for (size_t i = 0; i < exprs.size(); ++i) {
    const nlohmann::json& e = exprs[i];
    if (i > 0) out += ", ";
    auto str = [&](const char* k) {
      return e.is_object() && e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : "";
    };
    out += "v1.LabelSelectorRequirement{Key:" + GoQuoted(str("key")) +
           ", Operator:" + GoQuoted(str("operator")) + ", Values:" +
           StringSlice(e.is_object() && e.contains("values") ? e["values"] : nlohmann::json()) +
           "}";
  }
  return out + "}}";
}

std::string GoIntOrString(const nlohmann::json& value) {
  if (value.is_number_integer()) {
    return "intstr.IntOrString{Type:0, IntVal:" + value.dump() + ", StrVal:\"\"}";
  }
  std::string s = value.is_string() ? value.get<std::string>() : value.dump();
  return "intstr.IntOrString{Type:1, IntVal:0, StrVal:" + GoQuoted(s) + "}";
}

void FieldErrors::Add(std::string_view reason, std::string_view path, std::string message) {
  causes_.push_back({std::string(reason), std::move(message), std::string(path)});
}

void FieldErrors::Required(std::string_view path, std::string_view detail) {
  std::string m = "Required value";
  if (!detail.empty()) m.append(": ").append(detail);
  Add("FieldValueRequired", path, std::move(m));
}

void FieldErrors::Invalid(std::string_view path, const nlohmann::json& value,
                          std::string_view detail) {
  InvalidRendered(path, GoValue(value), detail);
}

void FieldErrors::InvalidRendered(std::string_view path, std::string_view rendered,
                                  std::string_view detail) {
  std::string m = "Invalid value: ";
  m += rendered;
  if (!detail.empty()) m.append(": ").append(detail);
  Add("FieldValueInvalid", path, std::move(m));
}

void FieldErrors::NotSupported(std::string_view path, const nlohmann::json& value,
                               const std::vector<std::string>& supported) {
  NotSupportedRendered(path, GoValue(value), supported);
}

void FieldErrors::NotSupportedRendered(std::string_view path, std::string_view rendered,
                                       const std::vector<std::string>& supported) {
  std::string m = "Unsupported value: ";
  m += rendered;
  if (!supported.empty()) {
    m += ": supported values: ";
    for (size_t i = 0; i < supported.size(); ++i) {
      if (i > 0) m += ", ";
      m += GoQuoted(supported[i]);
    }
  }
  Add("FieldValueNotSupported", path, std::move(m));
}

void FieldErrors::Duplicate(std::string_view path, const nlohmann::json& value) {
  DuplicateRendered(path, GoValue(value));
}

void FieldErrors::DuplicateRendered(std::string_view path, std::string_view rendered) {
  Add("FieldValueDuplicate", path, "Duplicate value: " + std::string(rendered));
}

void FieldErrors::NotFound(std::string_view path, const nlohmann::json& value) {
  Add("FieldValueNotFound", path, "Not found: " + GoValue(value));
}

void FieldErrors::Forbidden(std::string_view path, std::string_view detail) {
  Add("FieldValueForbidden", path, "Forbidden: " + std::string(detail));
}

void FieldErrors::TooLong(std::string_view path, int64_t max_bytes) {
  Add("FieldValueTooLong", path,
      "Too long: must have at most " + std::to_string(max_bytes) + " bytes");
}

void FieldErrors::Append(const FieldErrors& other) {
  causes_.insert(causes_.end(), other.causes_.begin(), other.causes_.end());
}

void FieldErrors::AppendTo(std::vector<apiserver::StatusCause>* out) const {
  out->insert(out->end(), causes_.begin(), causes_.end());
}

}  // namespace capstan::registry
