// Requirement validation and matching, LabelSelector conversion from metav1.LabelSelector JSON.
// The text parser is in label_parser.cc. Header: label_selector.h.
#include "core/selector/label_selector.h"

#include <algorithm>
#include <charconv>

#include "core/selector/label_validation.h"

namespace capstan::selector {
namespace {

// Upstream parses Gt/Lt values with strconv.ParseInt(v, 10, 64): optional sign, decimal digits.
std::optional<int64_t> ParseInt64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  if (*begin == '+') ++begin;
  if (begin == end) return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

// JSON rendering of a []string as upstream's field errors print it.
std::string JsonStrings(const std::vector<std::string>& values) {
  nlohmann::json j = nlohmann::json::array();
  for (const std::string& v : values) j.push_back(v);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Aggregate(const std::vector<std::string>& errs) {
  if (errs.size() == 1) return errs[0];
  std::string out = "[";
  for (size_t i = 0; i < errs.size(); ++i) {
    if (i > 0) out += ", ";
    out += errs[i];
  }
  out += "]";
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

}  // namespace

Requirement::Requirement(std::string key, Operator op, std::vector<std::string> values)
    : key_(std::move(key)), op_(op), values_(std::move(values)) {
  std::sort(values_.begin(), values_.end());
  values_.erase(std::unique(values_.begin(), values_.end()), values_.end());
  if ((op_ == Operator::kGreaterThan || op_ == Operator::kLessThan) && values_.size() == 1) {
    int_value_ = ParseInt64(values_[0]).value_or(0);
  }
}

Result<Requirement> Requirement::Create(std::string key, Operator op,
                                        std::vector<std::string> values) {
  std::vector<std::string> errs;
  if (std::vector<std::string> e = IsQualifiedName(key); !e.empty()) {
    errs.push_back(FieldInvalid("key", key, Join(e, "; ")));
  }
  auto invalid_values = [&](std::string_view detail) {
    errs.push_back("values: Invalid value: " + JsonStrings(values) + ": " + std::string(detail));
  };
  switch (op) {
    case Operator::kIn:
    case Operator::kNotIn:
      if (values.empty()) invalid_values("for 'in', 'notin' operators, values set can't be empty");
      break;
    case Operator::kEquals:
    case Operator::kDoubleEquals:
    case Operator::kNotEquals:
      if (values.size() != 1) invalid_values("exact-match compatibility requires one single value");
      break;
    case Operator::kExists:
    case Operator::kDoesNotExist:
      if (!values.empty()) {
        invalid_values("values set must be empty for exists and does not exist");
      }
      break;
    case Operator::kGreaterThan:
    case Operator::kLessThan:
      if (values.size() != 1) {
        invalid_values("for 'Gt', 'Lt' operators, exactly one value is required");
      }
      for (size_t i = 0; i < values.size(); ++i) {
        if (!ParseInt64(values[i])) {
          errs.push_back(FieldInvalid("values[" + std::to_string(i) + "]", values[i],
                                      "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
      break;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::vector<std::string> e = IsValidLabelValue(values[i]); !e.empty()) {
      errs.push_back(
          FieldInvalid("values[" + std::to_string(i) + "][" + key + "]", values[i], Join(e, "; ")));
    }
  }
  if (!errs.empty()) return BadRequestError(Aggregate(errs));
  return Requirement(std::move(key), op, std::move(values));
}

bool Requirement::HasValue(std::string_view v) const {
  if (values_.size() == 1) return values_[0] == v;
  return std::binary_search(values_.begin(), values_.end(), v,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

bool Requirement::MatchesValue(std::optional<std::string_view> value) const {
  switch (op_) {
    case Operator::kIn:
    case Operator::kEquals:
    case Operator::kDoubleEquals:
      return value && HasValue(*value);
    case Operator::kNotIn:
    case Operator::kNotEquals:
      return !value || !HasValue(*value);
    case Operator::kExists:
      return value.has_value();
    case Operator::kDoesNotExist:
      return !value.has_value();
    case Operator::kGreaterThan:
    case Operator::kLessThan: {
      if (!value || values_.size() != 1) return false;
      std::optional<int64_t> v = ParseInt64(*value);
      if (!v) return false;
      return op_ == Operator::kGreaterThan ? *v > int_value_ : *v < int_value_;
    }
  }
  return false;
}

std::string Requirement::String() const {
  std::string out;
  if (op_ == Operator::kDoesNotExist) out += '!';
  out += key_;
  switch (op_) {
    case Operator::kEquals:
      out += '=';
      break;
    case Operator::kDoubleEquals:
      out += "==";
      break;
    case Operator::kNotEquals:
      out += "!=";
      break;
    case Operator::kIn:
      out += " in (";
      break;
    case Operator::kNotIn:
      out += " notin (";
      break;
    case Operator::kGreaterThan:
      out += '>';
      break;
    case Operator::kLessThan:
      out += '<';
      break;
    case Operator::kExists:
    case Operator::kDoesNotExist:
      return out;
  }
  out += Join(values_, ",");
  if (op_ == Operator::kIn || op_ == Operator::kNotIn) out += ')';
  return out;
}

LabelSelector::LabelSelector(std::vector<Requirement> requirements)
    : requirements_(std::move(requirements)) {
  std::stable_sort(requirements_.begin(), requirements_.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key() < b.key(); });
}

LabelSelector LabelSelector::Nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

LabelSelector LabelSelector::FromSet(const std::map<std::string, std::string>& labels) {
  std::vector<Requirement> reqs;
  reqs.reserve(labels.size());
  for (const auto& [k, v] : labels) reqs.push_back(Requirement(k, Operator::kEquals, {v}));
  return LabelSelector(std::move(reqs));
}

Result<LabelSelector> LabelSelector::FromJson(const nlohmann::json& label_selector) {
  if (label_selector.is_null()) return Nothing();
  if (!label_selector.is_object()) return BadRequestError("label selector must be an object");
  std::vector<Requirement> reqs;
  if (auto it = label_selector.find("matchLabels"); it != label_selector.end() && !it->is_null()) {
    if (!it->is_object()) return BadRequestError("matchLabels must be an object");
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return BadRequestError("matchLabels." + k + " must be a string");
      Result<Requirement> r = Requirement::Create(k, Operator::kEquals, {v.get<std::string>()});
      if (!r.ok()) return r.status();
      reqs.push_back(std::move(r).value());
    }
  }
  if (auto it = label_selector.find("matchExpressions");
      it != label_selector.end() && !it->is_null()) {
    if (!it->is_array()) return BadRequestError("matchExpressions must be a list");
    for (const nlohmann::json& expr : *it) {
      if (!expr.is_object()) return BadRequestError("matchExpressions items must be objects");
      auto key = expr.find("key");
      auto op = expr.find("operator");
      if (key == expr.end() || !key->is_string() || op == expr.end() || !op->is_string()) {
        return BadRequestError("matchExpressions items need string `key` and `operator`");
      }
      const std::string& op_name = op->get_ref<const std::string&>();
      Operator o;
      if (op_name == "In") {
        o = Operator::kIn;
      } else if (op_name == "NotIn") {
        o = Operator::kNotIn;
      } else if (op_name == "Exists") {
        o = Operator::kExists;
      } else if (op_name == "DoesNotExist") {
        o = Operator::kDoesNotExist;
      } else {
        return BadRequestError(GoQuote(op_name) + " is not a valid label selector operator");
      }
      std::vector<std::string> values;
      if (auto vals = expr.find("values"); vals != expr.end() && !vals->is_null()) {
        if (!vals->is_array()) return BadRequestError("matchExpressions values must be a list");
        for (const nlohmann::json& v : *vals) {
          if (!v.is_string()) return BadRequestError("matchExpressions values must be strings");
          values.push_back(v.get<std::string>());
        }
      }
      Result<Requirement> r = Requirement::Create(key->get<std::string>(), o, std::move(values));
      if (!r.ok()) return r.status();
      reqs.push_back(std::move(r).value());
    }
  }
  return LabelSelector(std::move(reqs));
}

bool LabelSelector::Matches(const nlohmann::json& labels) const {
  return Matches([&labels](std::string_view key) -> std::optional<std::string_view> {
    if (!labels.is_object()) return std::nullopt;
    auto it = labels.find(key);
    if (it == labels.end() || !it->is_string()) return std::nullopt;
    return std::string_view(it->get_ref<const std::string&>());
  });
}

bool LabelSelector::Matches(const std::map<std::string, std::string, std::less<>>& labels) const {
  return Matches([&labels](std::string_view key) -> std::optional<std::string_view> {
    auto it = labels.find(key);
    if (it == labels.end()) return std::nullopt;
    return std::string_view(it->second);
  });
}

bool LabelSelector::MatchesObject(const nlohmann::json& object) const {
  static const nlohmann::json kNull;
  if (!object.is_object()) return Matches(kNull);
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return Matches(kNull);
  auto labels = meta->find("labels");
  return Matches(labels == meta->end() ? kNull : *labels);
}

std::optional<std::string_view> LabelSelector::RequiresExactMatch(std::string_view label) const {
  for (const Requirement& r : requirements_) {
    if (r.key() != label) continue;
    switch (r.op()) {
      case Operator::kEquals:
      case Operator::kDoubleEquals:
      case Operator::kIn:
        if (r.values().size() == 1) return std::string_view(r.values()[0]);
        return std::nullopt;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string LabelSelector::String() const {
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    if (i > 0) out += ',';
    out += requirements_[i].String();
  }
  return out;
}

}  // namespace capstan::selector
