// CheckFieldTypes (field_types.h): one recursive walk; the path is rebuilt only on failure.
#include "core/api/field_types.h"

#include <cmath>
#include <string>
#include <vector>

namespace capstan::api {
namespace {

using Json = nlohmann::json;

// Go's word for the JSON value the decoder found ("number 1.5" for a fraction into an integer).
std::string JsonWord(const Json& v, const FieldNode& expected) {
  switch (v.type()) {
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    case Json::value_t::number_float:
      if (expected.scalar() == FieldNode::Scalar::kInteger) return "number " + v.dump();
      return "number";
    default:
      return "number";
  }
}

bool ScalarMatches(const Json& v, FieldNode::Scalar scalar) {
  switch (scalar) {
    case FieldNode::Scalar::kAny:
      return true;
    case FieldNode::Scalar::kString:
      return v.is_string();
    case FieldNode::Scalar::kInteger:
      if (v.is_number_integer()) return true;
      if (v.is_number_float()) {
        double d = v.get<double>();
        return std::isfinite(d) && std::floor(d) == d;
      }
      return false;
    case FieldNode::Scalar::kNumber:
      return v.is_number();
    case FieldNode::Scalar::kBoolean:
      return v.is_boolean();
  }
  return true;
}

bool Matches(const Json& v, const FieldNode& node) {
  if (v.is_null()) return true;
  switch (node.kind()) {
    case FieldNode::Kind::kObject:
    case FieldNode::Kind::kMap:
      return v.is_object();
    case FieldNode::Kind::kArray:
      return v.is_array();
    case FieldNode::Kind::kLeaf:
      return ScalarMatches(v, node.scalar());
  }
  return true;
}

// The struct owning a field: "v1.PodSpec" -> "PodSpec".
std::string_view StructName(const std::string& go_type) {
  size_t dot = go_type.rfind('.');
  return dot == std::string::npos ? std::string_view(go_type)
                                  : std::string_view(go_type).substr(dot + 1);
}

struct Mismatch {
  const Json* value = nullptr;
  const FieldNode* node = nullptr;
  std::string_view owner;
  std::vector<std::string_view> fields;  // filled innermost first while unwinding
};

// True when `v` (at `node`, inside struct `owner`) and everything below it type-check.
bool Walk(const Json& v, const FieldNode& node, std::string_view owner, Mismatch& out) {
  if (!Matches(v, node)) {
    out.value = &v;
    out.node = &node;
    out.owner = owner;
    return false;
  }
  if (v.is_null()) return true;
  switch (node.kind()) {
    case FieldNode::Kind::kObject: {
      std::string_view inner = node.go_type().empty() ? owner : StructName(node.go_type());
      for (auto it = v.begin(); it != v.end(); ++it) {
        const FieldNode* child = node.Field(it.key());
        if (child == nullptr) continue;
        if (!Walk(*it, *child, inner, out)) {
          out.fields.push_back(it.key());
          return false;
        }
      }
      return true;
    }
    case FieldNode::Kind::kArray:
    case FieldNode::Kind::kMap: {
      const FieldNode& elements = *node.Elements();
      if (elements.kind() == FieldNode::Kind::kLeaf &&
          elements.scalar() == FieldNode::Scalar::kAny) {
        return true;
      }
      for (const Json& item : v) {
        if (!Walk(item, elements, owner, out)) return false;
      }
      return true;
    }
    case FieldNode::Kind::kLeaf:
      return true;
  }
  return true;
}

}  // namespace

Status CheckFieldTypes(const nlohmann::json& obj, const FieldNode& root, std::string_view kind) {
  Mismatch mismatch;
  if (!obj.is_object() || root.kind() != FieldNode::Kind::kObject) return Status::Ok();
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const FieldNode* child = root.Field(it.key());
    if (child == nullptr || Walk(*it, *child, kind, mismatch)) continue;
    mismatch.fields.push_back(it.key());
    std::string message = "json: cannot unmarshal " + JsonWord(*mismatch.value, *mismatch.node) +
                          " into Go struct field ";
    message.append(mismatch.owner);
    for (auto f = mismatch.fields.rbegin(); f != mismatch.fields.rend(); ++f) {
      message.append(".").append(*f);
    }
    message.append(" of type ").append(mismatch.node->go_type());
    return BadRequestError(message);
  }
  return Status::Ok();
}

}  // namespace capstan::api
