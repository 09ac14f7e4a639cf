// Exception boundary and shared helpers for the registry strategies (strategy_base.h).
#include "core/registry/strategy_base.h"

#include <exception>
#include <set>

namespace capstan::registry {
namespace {

void Diff(const Json& a, const Json& b, const std::string& path, std::vector<std::string>* out,
          size_t limit) {
  if (out->size() >= limit || a == b) return;
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : a.items()) keys.insert(k);
    for (const auto& [k, v] : b.items()) keys.insert(k);
    for (const std::string& k : keys) {
      Diff(a.contains(k) ? a[k] : Json(), b.contains(k) ? b[k] : Json(), Child(path, k), out,
           limit);
    }
    return;
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i) Diff(a[i], b[i], Index(path, i), out, limit);
    return;
  }
  out->push_back("  " + path + ": " + GoValue(a) + " -> " + GoValue(b));
}

}  // namespace

StrategyBase::StrategyBase(std::string kind, std::string version)
    : kind_(std::move(kind)), version_(std::move(version)) {}

Status StrategyBase::DecodeError(std::string_view why) const {
  return BadRequestError(kind_ + " in version \"" + version_ + "\" cannot be handled as a " +
                         kind_ + ": " + std::string(why));
}

Status StrategyBase::PrepareForCreate(Json& obj) {
  try {
    return Create(obj);
  } catch (const std::exception& e) {
    return DecodeError(e.what());
  }
}

Status StrategyBase::PrepareForUpdate(Json& obj, const Json& old) {
  try {
    return Update(obj, old);
  } catch (const std::exception& e) {
    return DecodeError(e.what());
  }
}

void StrategyBase::Validate(const Json& obj, std::vector<apiserver::StatusCause>* causes) {
  FieldErrors errs;
  try {
    Check(obj, &errs);
  } catch (const std::exception& e) {
    errs.InvalidRendered("", "", e.what());
  }
  errs.AppendTo(causes);
}

void StrategyBase::ValidateUpdate(const Json& obj, const Json& old,
                                  std::vector<apiserver::StatusCause>* causes) {
  FieldErrors errs;
  try {
    CheckUpdate(obj, old, &errs);
  } catch (const std::exception& e) {
    errs.InvalidRendered("", "", e.what());
  }
  errs.AppendTo(causes);
}

int64_t StrategyBase::DefaultGracePeriodSeconds(const Json& obj) {
  try {
    return GracePeriod(obj);
  } catch (const std::exception&) {
    return 0;
  }
}

void StrategyBase::AfterDelete(const Json& obj) {
  try {
    Deleted(obj);
  } catch (const std::exception&) {
    // Nothing sensible to report after the object is gone; allocations are repaired later.
  }
}

Json Normalized(const Json& value) {
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : value.items()) {
      Json n = Normalized(v);
      if (n.is_null() || ((n.is_array() || n.is_object()) && n.empty())) continue;
      out[k] = std::move(n);
    }
    return out;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const Json& v : value) out.push_back(Normalized(v));
    return out;
  }
  return value;
}

std::string DescribeDiff(const Json& before, const Json& after, std::string_view path,
                         size_t limit) {
  std::vector<std::string> lines;
  Diff(before, after, std::string(path), &lines, limit);
  std::string out;
  for (const std::string& l : lines) {
    if (!out.empty()) out += "\n";
    out += l;
  }
  return out;
}

}  // namespace capstan::registry
