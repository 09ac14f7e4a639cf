// FieldSet operations and the fieldsV1 codec. Header: field_set.h.
#include "core/patch/field_set.h"

#include <charconv>

namespace capstan::patch {
namespace {

using Json = nlohmann::json;

std::string Dump(const Json& v) { return v.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Upstream's `value.ToString`: strings quoted, numbers and bools plain.
std::string ValueText(const Json& v) {
  if (v.is_null()) return "null";
  return Dump(v);
}

Result<PathElement> Canonical(std::string_view key) {
  if (key.size() < 2 || key[1] != ':') return BadRequestError("invalid fieldsV1 key: " + Dump(key));
  std::string_view body = key.substr(2);
  switch (key[0]) {
    case 'f':
      return PathElement(key);
    case 'k':
    case 'v': {
      Json parsed = Json::parse(body.begin(), body.end(), nullptr, false);
      if (parsed.is_discarded() || (key[0] == 'k' && !parsed.is_object())) {
        return BadRequestError("invalid fieldsV1 key: " + Dump(key));
      }
      return std::string(1, key[0]) + ":" + Dump(parsed);
    }
    case 'i': {
      size_t index = 0;
      auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), index);
      if (ec != std::errc() || end != body.data() + body.size() || body.empty()) {
        return BadRequestError("invalid fieldsV1 key: " + Dump(key));
      }
      return IndexElement(index);
    }
    default:
      return BadRequestError("invalid fieldsV1 key: " + Dump(key));
  }
}

}  // namespace

PathElement FieldElement(std::string_view name) { return "f:" + std::string(name); }
PathElement KeyElement(const nlohmann::json& keys) { return "k:" + Dump(keys); }
PathElement ValueElement(const nlohmann::json& value) { return "v:" + Dump(value); }
PathElement IndexElement(size_t index) { return "i:" + std::to_string(index); }

std::string PathString(std::span<const PathElement> path) {
  std::string out;
  for (const PathElement& e : path) {
    std::string_view body = std::string_view(e).substr(std::min<size_t>(2, e.size()));
    if (e.starts_with("f:")) {
      out.append(".").append(body);
    } else if (e.starts_with("k:")) {
      Json keys = Json::parse(body.begin(), body.end(), nullptr, false);
      out += '[';
      bool first = true;
      if (keys.is_object()) {
        for (const auto& [k, v] : keys.items()) {
          if (!first) out += ',';
          first = false;
          out.append(k).append("=").append(ValueText(v));
        }
      }
      out += ']';
    } else if (e.starts_with("v:")) {
      Json v = Json::parse(body.begin(), body.end(), nullptr, false);
      out.append("[=").append(v.is_discarded() ? std::string(body) : ValueText(v)).append("]");
    } else if (e.starts_with("i:")) {
      out.append("[").append(body).append("]");
    } else {
      out.append("{{invalid path element}}");
    }
  }
  return out;
}

FieldSet FieldSet::OfFields(std::initializer_list<std::string_view> dotted) {
  FieldSet s;
  for (std::string_view d : dotted) {
    FieldPath path;
    while (!d.empty()) {
      size_t dot = d.find('.');
      path.push_back(FieldElement(d.substr(0, dot)));
      if (dot == std::string_view::npos) break;
      d.remove_prefix(dot + 1);
    }
    s.Insert(path);
  }
  return s;
}

Result<FieldSet> FieldSet::FromFieldsV1(const nlohmann::json& fields_v1) {
  FieldSet s;
  if (fields_v1.is_null()) return s;
  if (!fields_v1.is_object()) return BadRequestError("fieldsV1 must be an object");
  for (const auto& [key, value] : fields_v1.items()) {
    if (key == ".") {
      s.member_ = true;
      continue;
    }
    Result<PathElement> e = Canonical(key);
    if (!e.ok()) return e.status();
    Result<FieldSet> child = FromFieldsV1(value);
    if (!child.ok()) return child.status();
    // An empty object is a leaf member; an object without "." only holds members below it.
    if (value.is_object() && value.empty()) child->member_ = true;
    if (child->Empty()) continue;
    FieldSet& slot = s.ChildFor(*e);
    slot = slot.Union(*child);
  }
  return s;
}

nlohmann::json FieldSet::ToFieldsV1() const {
  Json out = Json::object();
  if (member_ && !children_.empty()) out["."] = Json::object();
  for (const auto& [e, child] : children_) out[e] = child.ToFieldsV1();
  return out;
}

FieldSet& FieldSet::ChildFor(std::string_view element) {
  auto it = children_.find(element);
  if (it == children_.end()) it = children_.emplace(std::string(element), FieldSet()).first;
  return it->second;
}

void FieldSet::Insert(std::span<const PathElement> path) {
  FieldSet* cur = this;
  for (const PathElement& e : path) cur = &cur->ChildFor(e);
  if (!path.empty()) cur->member_ = true;
}

bool FieldSet::Has(std::span<const PathElement> path) const {
  if (path.empty()) return false;
  const FieldSet* cur = this;
  for (const PathElement& e : path) {
    cur = cur->Child(e);
    if (cur == nullptr) return false;
  }
  return cur->member_;
}

const FieldSet* FieldSet::Child(std::string_view element) const {
  auto it = children_.find(element);
  return it == children_.end() ? nullptr : &it->second;
}

FieldSet FieldSet::Union(const FieldSet& other) const {
  FieldSet out = *this;
  out.member_ = member_ || other.member_;
  for (const auto& [e, child] : other.children_) {
    FieldSet& slot = out.ChildFor(e);
    slot = slot.Union(child);
  }
  return out;
}

FieldSet FieldSet::Intersection(const FieldSet& other) const {
  FieldSet out;
  out.member_ = member_ && other.member_;
  for (const auto& [e, child] : children_) {
    const FieldSet* o = other.Child(e);
    if (o == nullptr) continue;
    FieldSet sub = child.Intersection(*o);
    if (!sub.Empty()) out.children_.emplace(e, std::move(sub));
  }
  return out;
}

FieldSet FieldSet::Difference(const FieldSet& other) const {
  FieldSet out;
  out.member_ = member_ && !other.member_;
  for (const auto& [e, child] : children_) {
    const FieldSet* o = other.Child(e);
    FieldSet sub = o == nullptr ? child : child.Difference(*o);
    if (!sub.Empty()) out.children_.emplace(e, std::move(sub));
  }
  return out;
}

FieldSet FieldSet::RecursiveDifference(const FieldSet& other) const {
  FieldSet out;
  out.member_ = member_;
  for (const auto& [e, child] : children_) {
    const FieldSet* o = other.Child(e);
    if (o != nullptr && o->member_) continue;
    FieldSet sub = o == nullptr ? child : child.RecursiveDifference(*o);
    if (!sub.Empty()) out.children_.emplace(e, std::move(sub));
  }
  return out;
}

void FieldSet::IterateFrom(FieldPath& prefix,
                           const std::function<void(const FieldPath&)>& fn) const {
  if (member_ && !prefix.empty()) fn(prefix);
  for (const auto& [e, child] : children_) {
    prefix.push_back(e);
    child.IterateFrom(prefix, fn);
    prefix.pop_back();
  }
}

void FieldSet::Iterate(const std::function<void(const FieldPath&)>& fn) const {
  FieldPath prefix;
  IterateFrom(prefix, fn);
}

std::vector<FieldPath> FieldSet::Paths() const {
  std::vector<FieldPath> out;
  Iterate([&out](const FieldPath& p) { out.push_back(p); });
  return out;
}

}  // namespace capstan::patch
