// Shared validation helpers with upstream's wording (field_validation.h).
#include "core/registry/field_validation.h"

#include "core/apiserver/object_meta.h"
#include "core/selector/label_selector.h"
#include "core/selector/label_validation.h"

namespace capstan::registry {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerAlpha(char c) { return c >= 'a' && c <= 'z'; }

std::vector<std::string> HasChDirPrefix(std::string_view value) {
  if (value == ".") return {"must not be '.'"};
  if (value == "..") return {"must not be '..'"};
  if (value.substr(0, 2) == "..") return {"must not start with '..'"};
  return {};
}

}  // namespace

std::vector<std::string> IsValidPortNum(int64_t port) {
  if (port >= 1 && port <= 65535) return {};
  return {"must be between 1 and 65535, inclusive"};
}

std::vector<std::string> IsValidPortName(std::string_view name) {
  std::vector<std::string> errs;
  if (name.size() > 15) errs.push_back("must be no more than 15 characters");
  bool charset = !name.empty();
  bool letter = false;
  for (char c : name) {
    charset = charset && (IsLowerAlpha(c) || IsDigit(c) || c == '-');
    letter = letter || IsLowerAlpha(c);
  }
  if (!charset) {
    errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (!letter) errs.push_back("must contain at least one letter (a-z)");
  if (name.find("--") != std::string_view::npos) {
    errs.push_back("must not contain consecutive hyphens");
  }
  if (!name.empty() && (name.front() == '-' || name.back() == '-')) {
    errs.push_back("must not begin or end with a hyphen");
  }
  return errs;
}

std::vector<std::string> IsConfigMapKey(std::string_view key) {
  std::vector<std::string> errs;
  if (key.size() > 253) errs.push_back("must be no more than 253 characters");
  bool ok = !key.empty();
  for (char c : key) {
    ok = ok && (IsDigit(c) || IsLowerAlpha(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' ||
                c == '_');
  }
  if (!ok) {
    errs.push_back(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')");
  }
  for (std::string& e : HasChDirPrefix(key)) errs.push_back(std::move(e));
  return errs;
}

std::vector<std::string> IsRelaxedEnvVarName(std::string_view name) {
  if (name.empty()) return {"environment variable name must be non-empty"};
  for (char c : name) {
    if (c < ' ' || c > '~' || c == '=') {
      return {
          "a valid environment variable name must consist only of printable ASCII characters "
          "other than '='"};
    }
  }
  return {};
}

std::vector<std::string> IsValidPercent(std::string_view value) {
  bool ok = value.size() >= 2 && value.back() == '%';
  for (size_t i = 0; ok && i + 1 < value.size(); ++i) ok = IsDigit(value[i]);
  if (ok) return {};
  return {
      "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or "
      "'93%', regex used for validation is '[0-9]+%')"};
}

bool ParseIpv4(std::string_view text, uint32_t* out) {
  uint32_t ip = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    size_t start = i;
    uint32_t octet = 0;
    while (i < text.size() && IsDigit(text[i]) && i - start < 3) {
      octet = octet * 10 + static_cast<uint32_t>(text[i] - '0');
      ++i;
    }
    size_t len = i - start;
    if (len == 0 || octet > 255 || (len > 1 && text[start] == '0')) return false;
    ip = (ip << 8) | octet;
    ++parts;
    if (parts < 4) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  if (i != text.size()) return false;
  *out = ip;
  return true;
}

std::string FormatIpv4(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

void ValidateDnsLabel(std::string_view value, std::string_view path, FieldErrors* errs) {
  for (const std::string& m : apiserver::ValidateDnsLabel(value)) {
    errs->Invalid(path, std::string(value), m);
  }
}

void ValidateDnsSubdomain(std::string_view value, std::string_view path, FieldErrors* errs) {
  for (const std::string& m : apiserver::ValidateDnsSubdomain(value)) {
    errs->Invalid(path, std::string(value), m);
  }
}

void ValidateNonnegative(int64_t value, std::string_view path, FieldErrors* errs) {
  if (value < 0) errs->Invalid(path, value, "must be greater than or equal to 0");
}

void ValidateOptionalNonnegative(const Json& obj, std::string_view key, std::string_view path,
                                 FieldErrors* errs) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return;
  if (!v->is_number_integer()) {
    errs->Invalid(path, *v, "must be an integer");
    return;
  }
  ValidateNonnegative(v->get<int64_t>(), path, errs);
}

void ValidateLabels(const Json* labels, std::string_view path, FieldErrors* errs) {
  if (labels == nullptr) return;
  if (!labels->is_object()) {
    errs->Invalid(path, *labels, "must be a map of string keys to string values");
    return;
  }
  for (const auto& [k, v] : labels->items()) {
    for (const std::string& m : selector::IsQualifiedName(k)) errs->Invalid(path, k, m);
    if (!v.is_string()) {
      errs->Invalid(path, v, "label values must be strings");
      continue;
    }
    for (const std::string& m : selector::IsValidLabelValue(v.get_ref<const std::string&>())) {
      errs->Invalid(path, v, m);
    }
  }
}

void ValidateLabelSelector(const Json& sel, std::string_view path, FieldErrors* errs) {
  if (!sel.is_object()) {
    errs->Invalid(path, sel, "must be a label selector object");
    return;
  }
  ValidateLabels(Find(sel, "matchLabels"), Child(path, "matchLabels"), errs);
  const Json* exprs = Find(sel, "matchExpressions");
  if (exprs == nullptr) return;
  std::string exprs_path = Child(path, "matchExpressions");
  if (!exprs->is_array()) {
    errs->Invalid(exprs_path, *exprs, "must be a list");
    return;
  }
  for (size_t i = 0; i < exprs->size(); ++i) {
    const Json& e = (*exprs)[i];
    std::string p = Index(exprs_path, i);
    std::string op = Str(e, "operator");
    const Json* values = Find(e, "values");
    size_t nvalues = values != nullptr && values->is_array() ? values->size() : 0;
    if (op == "In" || op == "NotIn") {
      if (nvalues == 0) {
        errs->Required(Child(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'");
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (nvalues > 0) {
        errs->Forbidden(Child(p, "values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    } else {
      errs->Invalid(Child(p, "operator"), op, "not a valid selector operator");
    }
    std::string key = Str(e, "key");
    for (const std::string& m : selector::IsQualifiedName(key))
      errs->Invalid(Child(p, "key"), key, m);
    if (values != nullptr && values->is_array()) {
      for (size_t j = 0; j < values->size(); ++j) {
        const Json& v = (*values)[j];
        std::string vs = v.is_string() ? v.get<std::string>() : v.dump();
        for (const std::string& m : selector::IsValidLabelValue(vs)) {
          errs->Invalid(Index(Child(p, "values"), j), vs, m);
        }
      }
    }
  }
}

bool SelectorMatches(const Json* sel, const Json* labels) {
  if (sel == nullptr) return false;
  Result<selector::LabelSelector> s = selector::LabelSelector::FromJson(*sel);
  if (!s.ok()) return false;
  static const Json kNoLabels = Json::object();
  return s->Matches(labels != nullptr ? *labels : kNoLabels);
}

bool SelectorIsEmpty(const Json& sel) {
  const Json* labels = Find(sel, "matchLabels");
  const Json* exprs = Find(sel, "matchExpressions");
  return (labels == nullptr || labels->empty()) && (exprs == nullptr || exprs->empty());
}

void ValidatePortNumOrName(const Json& port, std::string_view path, FieldErrors* errs) {
  if (port.is_number_integer()) {
    for (const std::string& m : IsValidPortNum(port.get<int64_t>())) errs->Invalid(path, port, m);
  } else if (port.is_string()) {
    for (const std::string& m : IsValidPortName(port.get_ref<const std::string&>())) {
      errs->Invalid(path, port, m);
    }
  } else {
    errs->Invalid(path, port, "must be an integer or a string");
  }
}

}  // namespace capstan::registry
