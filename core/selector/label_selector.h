// Kubernetes label selectors: parsing the `labelSelector=` query syntax (`a=b,c!=d,e in (f,g),
// h notin (i),j,!k`, plus `x>1`/`x<1`), converting a metav1.LabelSelector JSON object, and
// matching label sets. Parse once, then match many objects without allocating.
// Parser in label_parser.cc, the rest in label_selector.cc; field selectors in field_selector.h.
// Tests: tests/core/selector/label_selector_test.cc.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/status.h"

namespace capstan::selector {

enum class Operator : uint8_t {
  kIn,
  kNotIn,
  kEquals,        // `=`
  kDoubleEquals,  // `==`
  kNotEquals,     // `!=`
  kExists,        // `key`
  kDoesNotExist,  // `!key`
  kGreaterThan,   // `key>1` (integers)
  kLessThan,      // `key<1`
};

// One `key <op> values` term. Values are kept sorted and de-duplicated, so matching is a binary
// search. Immutable after construction; safe to share between threads.
class Requirement {
 public:
  // Validates like upstream `labels.NewRequirement`: the key must be a qualified name, every
  // value a valid label value, In/NotIn need at least one value, (Not)Equals exactly one,
  // Exists/DoesNotExist none, Gt/Lt one integer. Errors: kBadRequest with upstream's wording,
  // e.g. `key: Invalid value: "a b": name part must consist of ...`; several problems are
  // joined as `[first, second]`.
  static Result<Requirement> Create(std::string key, Operator op, std::vector<std::string> values);

  const std::string& key() const { return key_; }
  Operator op() const { return op_; }
  const std::vector<std::string>& values() const { return values_; }

  // `lookup(key)` returns `std::optional<std::string_view>`: the label's value, or nullopt.
  template <typename Lookup>
  bool Matches(const Lookup& lookup) const {
    std::optional<std::string_view> v = lookup(std::string_view(key_));
    return MatchesValue(v);
  }
  // The decision for a label whose value is `value` (nullopt: the label is absent).
  bool MatchesValue(std::optional<std::string_view> value) const;

  // Canonical text, as upstream: `!k`, `k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k>1`.
  std::string String() const;

  friend bool operator==(const Requirement&, const Requirement&) = default;

 private:
  friend class Parser;
  friend class LabelSelector;
  Requirement(std::string key, Operator op, std::vector<std::string> values);
  bool HasValue(std::string_view v) const;

  std::string key_;
  Operator op_ = Operator::kExists;
  std::vector<std::string> values_;
  int64_t int_value_ = 0;  // parsed value for Gt/Lt
};

// A conjunction of requirements, sorted by key as upstream (so `String()` is canonical).
// Immutable after construction; safe to share between threads.
class LabelSelector {
 public:
  // The default selector matches everything (an empty `labelSelector=`).
  LabelSelector() = default;

  static LabelSelector Everything() { return LabelSelector(); }
  // Matches no object (a nil metav1.LabelSelector).
  static LabelSelector Nothing();

  // Parses the query syntax. Whitespace separates tokens; `in`/`notin` values are in
  // parentheses; `a=` means "a is the empty string"; `()` is the set {""}. Errors: kBadRequest
  // with upstream's text, e.g. `unable to parse requirement: found '', expected: identifier`,
  // `found ',', expected: !, identifier, or 'end of string'`.
  static Result<LabelSelector> Parse(std::string_view text);

  // Converts a metav1.LabelSelector object {matchLabels:{}, matchExpressions:[{key, operator
  // In|NotIn|Exists|DoesNotExist, values}]}. JSON null gives Nothing(); an object with neither
  // part gives Everything(). Errors: kBadRequest for a malformed object, an unknown operator
  // (`"Foo" is not a valid label selector operator`) or an invalid requirement.
  static Result<LabelSelector> FromJson(const nlohmann::json& label_selector);

  // A selector requiring every `key=value` of `labels` (upstream `SelectorFromSet`); the pairs
  // are not validated.
  static LabelSelector FromSet(const std::map<std::string, std::string>& labels);

  // True when every requirement holds. `lookup` is as in `Requirement::Matches`.
  template <typename Lookup>
  bool Matches(const Lookup& lookup) const {
    if (nothing_) return false;
    for (const Requirement& r : requirements_) {
      if (!r.Matches(lookup)) return false;
    }
    return true;
  }
  // Matches against a labels object (`metadata.labels`; null or missing means no labels).
  // Non-string label values count as absent.
  bool Matches(const nlohmann::json& labels) const;
  bool Matches(const std::map<std::string, std::string, std::less<>>& labels) const;
  // Matches against a whole object's `metadata.labels`.
  bool MatchesObject(const nlohmann::json& object) const;

  bool Empty() const { return !nothing_ && requirements_.empty(); }
  bool IsNothing() const { return nothing_; }
  const std::vector<Requirement>& requirements() const { return requirements_; }

  // The value `label` must have when the selector pins it with `=`, `==` or a one-value `in`
  // (useful for index lookups); nullopt otherwise.
  std::optional<std::string_view> RequiresExactMatch(std::string_view label) const;

  // Canonical text (requirements joined by `,`); "" for Everything() and Nothing().
  std::string String() const;

 private:
  friend class Parser;
  explicit LabelSelector(std::vector<Requirement> requirements);

  std::vector<Requirement> requirements_;
  bool nothing_ = false;
};

}  // namespace capstan::selector
