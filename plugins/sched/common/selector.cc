// Label selectors and node selector terms; see selector.h.
#include "plugins/sched/common/selector.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace capstan::sched {
namespace {

using sdk::json::Json;

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

bool ParseOp(std::string_view op, bool allow_numeric, SelectorOp* out) {
  if (op == "In") {
    *out = SelectorOp::kIn;
  } else if (op == "NotIn") {
    *out = SelectorOp::kNotIn;
  } else if (op == "Exists") {
    *out = SelectorOp::kExists;
  } else if (op == "DoesNotExist") {
    *out = SelectorOp::kDoesNotExist;
  } else if (allow_numeric && op == "Gt") {
    *out = SelectorOp::kGt;
  } else if (allow_numeric && op == "Lt") {
    *out = SelectorOp::kLt;
  } else {
    return false;
  }
  return true;
}

sdk::Status ParseRequirements(const Json* list, bool allow_numeric, std::vector<Requirement>* out) {
  if (list == nullptr || list->is_null()) return sdk::Status::Ok();
  if (!list->is_array()) return sdk::Status::Invalid("requirements must be a list");
  for (const Json& item : *list) {
    Requirement r;
    sdk::Status s = ParseRequirement(item, allow_numeric, &r);
    if (!s.ok()) return s;
    out->push_back(std::move(r));
  }
  return sdk::Status::Ok();
}

}  // namespace

bool Requirement::Has(std::string_view value) const {
  for (const std::string& v : values) {
    if (sdk::SameBytes(v, value)) return true;
  }
  return false;
}

bool Requirement::Matches(const std::string_view* value) const {
  switch (op) {
    case SelectorOp::kIn:
      return value != nullptr && Has(*value);
    case SelectorOp::kNotIn:
      return value == nullptr || !Has(*value);
    case SelectorOp::kExists:
      return value != nullptr;
    case SelectorOp::kDoesNotExist:
      return value == nullptr;
    case SelectorOp::kGt:
    case SelectorOp::kLt: {
      int64_t n = 0;
      if (value == nullptr || !ParseInt(*value, &n)) return false;
      return op == SelectorOp::kGt ? n > number : n < number;
    }
  }
  return false;
}

sdk::Status ParseRequirement(const Json& j, bool allow_numeric, Requirement* out) {
  std::optional<std::string> key = sdk::json::GetString(j, "key");
  std::optional<std::string> op = sdk::json::GetString(j, "operator");
  if (!key || key->empty()) return sdk::Status::Invalid("requirement without a key");
  if (!op || !ParseOp(*op, allow_numeric, &out->op)) {
    return sdk::Status::Invalid("unsupported operator '" + op.value_or("") + "'");
  }
  out->key = std::move(*key);
  if (const Json* values = sdk::json::GetArray(j, "values")) {
    for (const Json& v : *values) {
      std::optional<std::string> s = sdk::json::AsString(v);
      if (!s) return sdk::Status::Invalid("values must be strings");
      out->values.push_back(std::move(*s));
    }
  }
  switch (out->op) {
    case SelectorOp::kIn:
    case SelectorOp::kNotIn:
      if (out->values.empty()) return sdk::Status::Invalid("In/NotIn need values");
      break;
    case SelectorOp::kExists:
    case SelectorOp::kDoesNotExist:
      if (!out->values.empty()) return sdk::Status::Invalid("Exists/DoesNotExist take no values");
      break;
    case SelectorOp::kGt:
    case SelectorOp::kLt:
      if (out->values.size() != 1 || !ParseInt(out->values[0], &out->number)) {
        return sdk::Status::Invalid("Gt/Lt need one integer value");
      }
      break;
  }
  return sdk::Status::Ok();
}

LabelSelector LabelSelector::MatchNothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

sdk::Status LabelSelector::Parse(const Json& j, LabelSelector* out) {
  *out = LabelSelector();
  if (j.is_null()) {
    *out = MatchNothing();
    return sdk::Status::Ok();
  }
  if (!j.is_object()) return sdk::Status::Invalid("labelSelector must be an object");
  if (const Json* labels = sdk::json::GetObject(j, "matchLabels")) {
    for (auto it = labels->begin(); it != labels->end(); ++it) {
      if (!it.value().is_string())
        return sdk::Status::Invalid("matchLabels values must be strings");
      Requirement r;
      r.key = it.key();
      r.op = SelectorOp::kIn;
      r.values.push_back(it.value().get<std::string>());
      out->requirements_.push_back(std::move(r));
    }
  }
  return ParseRequirements(sdk::json::Find(j, "matchExpressions"), false, &out->requirements_);
}

bool LabelSelector::Matches(const sdk::Labels& labels) const {
  if (nothing_) return false;
  for (const Requirement& r : requirements_) {
    std::optional<std::string_view> v = labels.Get(r.key);
    if (!r.Matches(v ? &*v : nullptr)) return false;
  }
  return true;
}

NodeSelectorTerm NodeSelectorTerm::Parse(const Json& j) {
  NodeSelectorTerm t;
  if (!j.is_object()) {
    t.valid_ = false;
    return t;
  }
  if (!ParseRequirements(sdk::json::Find(j, "matchExpressions"), true, &t.expressions_).ok() ||
      !ParseRequirements(sdk::json::Find(j, "matchFields"), true, &t.fields_).ok()) {
    t.valid_ = false;
  }
  for (const Requirement& f : t.fields_) {
    // Only metadata.name is a supported node field, with In/NotIn only.
    if (f.key != "metadata.name" || (f.op != SelectorOp::kIn && f.op != SelectorOp::kNotIn)) {
      t.valid_ = false;
    }
  }
  return t;
}

bool NodeSelectorTerm::Matches(const sdk::Labels& node_labels, std::string_view node_name) const {
  if (!valid_ || (expressions_.empty() && fields_.empty())) return false;
  for (const Requirement& r : expressions_) {
    std::optional<std::string_view> v = node_labels.Get(r.key);
    if (!r.Matches(v ? &*v : nullptr)) return false;
  }
  for (const Requirement& r : fields_) {
    if (!r.Matches(&node_name)) return false;
  }
  return true;
}

std::vector<std::string> NodeSelectorTerm::NodeNames(bool* any) const {
  *any = false;
  std::set<std::string> names;
  for (const Requirement& r : fields_) {
    if (r.key != "metadata.name" || r.op != SelectorOp::kIn) continue;
    std::set<std::string> these(r.values.begin(), r.values.end());
    if (!*any) {
      names = std::move(these);
      *any = true;
      continue;
    }
    std::set<std::string> both;
    std::set_intersection(names.begin(), names.end(), these.begin(), these.end(),
                          std::inserter(both, both.begin()));
    names = std::move(both);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace capstan::sched
