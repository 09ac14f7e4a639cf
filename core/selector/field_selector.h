// Kubernetes field selectors (`fieldSelector=status.phase=Running,spec.nodeName!=n1`): parsing
// with upstream's escaping rules (`\,` `\=` `\\` in values), and matching through a caller-given
// field getter. Which fields a resource allows is declared with `SelectableFields`
// (selectable_fields.h). Implementation in field_selector.cc; tests in
// tests/core/selector/field_selector_test.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace capstan::selector {

// One `field=value` / `field==value` (kEquals) or `field!=value` (kNotEquals) term.
struct FieldRequirement {
  enum class Op : uint8_t { kEquals, kNotEquals };
  std::string field;
  Op op = Op::kEquals;
  std::string value;  // unescaped

  friend bool operator==(const FieldRequirement&, const FieldRequirement&) = default;
};

// A conjunction of field terms, sorted as upstream sorts the raw terms. Immutable after
// construction; safe to share between threads.
class FieldSelector {
 public:
  FieldSelector() = default;  // matches everything

  // Parses `a=b,c==d,e!=f`. Terms split on unescaped commas; empty terms are skipped; a term
  // splits at the first `!=`, `==` or `=`; the field is taken verbatim (no trimming) and the
  // value unescaped. Errors: kBadRequest with upstream's text:
  //   `invalid selector: 'x'; can't understand 'x'` (no operator),
  //   `invalid field selector: invalid escape sequence: \a`,
  //   `invalid field selector: unescaped character in value: 61` (a bare `=`; Go prints the
  //   rune's number).
  static Result<FieldSelector> Parse(std::string_view text);

  // `get(field)` returns the object's value for `field` as a `std::string_view` ("" when the
  // object has no value, as upstream's `fields.Set.Get`). The view must stay valid for the call.
  template <typename Getter>
  bool Matches(const Getter& get) const {
    for (const FieldRequirement& r : requirements_) {
      bool equal = std::string_view(get(std::string_view(r.field))) == r.value;
      if (equal != (r.op == FieldRequirement::Op::kEquals)) return false;
    }
    return true;
  }

  bool Empty() const { return requirements_.empty(); }
  const std::vector<FieldRequirement>& requirements() const { return requirements_; }

  // The value `field` must equal (first `=`/`==` term on it), for index lookups such as
  // `metadata.name` or `spec.nodeName`.
  std::optional<std::string_view> RequiresExactMatch(std::string_view field) const;

  // Canonical text, values escaped again: `a=b,c!=d`.
  std::string String() const;

 private:
  std::vector<FieldRequirement> requirements_;
};

// Escapes `\`, `,` and `=` in a field selector value.
std::string EscapeFieldValue(std::string_view value);
// Reverses `EscapeFieldValue`; errors as `FieldSelector::Parse`.
Result<std::string> UnescapeFieldValue(std::string_view value);

}  // namespace capstan::selector
