// Field selector parsing with upstream's term splitting and escaping (k8s.io/apimachinery/pkg/
// fields). Header: field_selector.h.
#include "core/selector/field_selector.h"

#include <algorithm>

namespace capstan::selector {
namespace {

// Splits on commas that are not escaped; a backslash escapes the next character.
std::vector<std::string_view> SplitTerms(std::string_view s) {
  std::vector<std::string_view> terms;
  if (s.empty()) return terms;
  size_t start = 0;
  bool in_slash = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (in_slash) {
      in_slash = false;
    } else if (s[i] == '\\') {
      in_slash = true;
    } else if (s[i] == ',') {
      terms.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(s.substr(start));
  return terms;
}

}  // namespace

std::string EscapeFieldValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

Result<std::string> UnescapeFieldValue(std::string_view value) {
  if (value.find_first_of("\\,=") == std::string_view::npos) return std::string(value);
  std::string out;
  out.reserve(value.size());
  bool in_slash = false;
  for (char c : value) {
    if (in_slash) {
      if (c != '\\' && c != ',' && c != '=') {
        return BadRequestError(
            std::string("invalid field selector: invalid escape sequence: \\").append(1, c));
      }
      out += c;
      in_slash = false;
      continue;
    }
    if (c == '\\') {
      in_slash = true;
    } else if (c == ',' || c == '=') {
      return BadRequestError("invalid field selector: unescaped character in value: " +
                             std::to_string(static_cast<int>(c)));
    } else {
      out += c;
    }
  }
  if (in_slash) return BadRequestError("invalid field selector: invalid escape sequence: \\");
  return out;
}

Result<FieldSelector> FieldSelector::Parse(std::string_view text) {
  std::vector<std::string_view> terms = SplitTerms(text);
  std::sort(terms.begin(), terms.end());
  FieldSelector sel;
  for (std::string_view term : terms) {
    if (term.empty()) continue;
    size_t i = 0;
    FieldRequirement::Op op = FieldRequirement::Op::kEquals;
    size_t op_len = 0;
    for (; i < term.size(); ++i) {
      std::string_view rest = term.substr(i);
      if (rest.starts_with("!=")) {
        op = FieldRequirement::Op::kNotEquals;
        op_len = 2;
      } else if (rest.starts_with("==")) {
        op_len = 2;
      } else if (rest.starts_with("=")) {
        op_len = 1;
      }
      if (op_len > 0) break;
    }
    if (op_len == 0) {
      return BadRequestError("invalid selector: '" + std::string(text) + "'; can't understand '" +
                             std::string(term) + "'");
    }
    Result<std::string> value = UnescapeFieldValue(term.substr(i + op_len));
    if (!value.ok()) return value.status();
    sel.requirements_.push_back({std::string(term.substr(0, i)), op, std::move(value).value()});
  }
  return sel;
}

std::optional<std::string_view> FieldSelector::RequiresExactMatch(std::string_view field) const {
  for (const FieldRequirement& r : requirements_) {
    if (r.field == field && r.op == FieldRequirement::Op::kEquals) return std::string_view(r.value);
  }
  return std::nullopt;
}

std::string FieldSelector::String() const {
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    const FieldRequirement& r = requirements_[i];
    if (i > 0) out += ',';
    out += r.field;
    out += r.op == FieldRequirement::Op::kEquals ? "=" : "!=";
    out += EscapeFieldValue(r.value);
  }
  return out;
}

}  // namespace capstan::selector
