// Builds `FieldIndex` from an OpenAPI v3 document (object shapes shared per `$ref`, so recursive
// schemas terminate) and walks objects against it. nlohmann/json is used without exceptions
// (parse with allow_exceptions=false, typed access only after type checks).
#include "core/api/field_schema.h"

#include <algorithm>
#include <charconv>
#include <type_traits>

#include "core/api/openapi.h"

namespace capstan::api {
namespace {

using Json = nlohmann::json;
constexpr std::string_view kRefPrefix = "#/components/schemas/";

std::string GvkKey(std::string_view group, std::string_view version, std::string_view kind) {
  std::string key;
  key.append(group).append("/").append(version).append("/").append(kind);
  return key;
}

const std::string* StringAt(const Json& object, const char* key) {
  auto it = object.find(key);
  return (it != object.end() && it->is_string()) ? it->get_ptr<const std::string*>() : nullptr;
}

bool TrueAt(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

// The `$ref` target of `schema` (direct, or the single-element `allOf` upstream uses to attach a
// description or default to a reference), or empty.
std::string_view RefName(const Json& schema) {
  const std::string* ref = StringAt(schema, "$ref");
  if (ref == nullptr) {
    auto all_of = schema.find("allOf");
    if (all_of != schema.end() && all_of->is_array() && all_of->size() == 1 &&
        all_of->front().is_object()) {
      ref = StringAt(all_of->front(), "$ref");
    }
  }
  if (ref == nullptr || !std::string_view(*ref).starts_with(kRefPrefix)) return {};
  return std::string_view(*ref).substr(kRefPrefix.size());
}

const Json* ListMapKeys(const Json& schema) {
  auto it = schema.find("x-kubernetes-list-map-keys");
  return (it != schema.end() && it->is_array()) ? &*it : nullptr;
}

// Parses only what the index needs: the top-level `paths` and every string `description` are
// dropped while reading, which shrinks the transient tree several times over.
Json ParseSchemasOnly(std::string_view text) {
  bool after_description_key = false;
  Json::parser_callback_t filter = [&after_description_key](int depth, Json::parse_event_t event,
                                                            Json& parsed) {
    switch (event) {
      case Json::parse_event_t::key:
        if (depth == 1 && parsed.is_string() && parsed.get_ref<const std::string&>() == "paths") {
          return false;
        }
        after_description_key =
            parsed.is_string() && parsed.get_ref<const std::string&>() == "description";
        return true;
      case Json::parse_event_t::value: {
        bool drop = after_description_key && parsed.is_string();
        after_description_key = false;
        return !drop;
      }
      default:
        after_description_key = false;
        return true;
    }
  };
  return Json::parse(text.begin(), text.end(), filter, /*allow_exceptions=*/false);
}

// Go's %q for the characters a field path can plausibly hold.
void AppendQuoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

class FieldIndexBuilder {
 public:
  FieldIndexBuilder(const Json& schemas, FieldIndex& out) : schemas_(schemas), out_(out) {
    leaf_ = &out_.nodes_.emplace_back();
  }

  void Build() {
    for (auto it = schemas_.begin(); it != schemas_.end(); ++it) {
      auto gvks = it->find("x-kubernetes-group-version-kind");
      if (gvks == it->end() || !gvks->is_array()) continue;
      for (const Json& gvk : *gvks) {
        if (!gvk.is_object()) continue;
        const std::string* group = StringAt(gvk, "group");
        const std::string* version = StringAt(gvk, "version");
        const std::string* kind = StringAt(gvk, "kind");
        if (group == nullptr || version == nullptr || kind == nullptr) continue;
        std::string key = GvkKey(*group, *version, *kind);
        if (out_.roots_.count(key) != 0) continue;
        out_.roots_.emplace(std::move(key), NodeFor(*it));
      }
    }
  }

 private:
  const Json* Schema(std::string_view name) const {
    auto it = schemas_.find(std::string(name));
    return (it != schemas_.end() && it->is_object()) ? &*it : nullptr;
  }

  // The shared shape of a named object schema; registered before its properties are walked, so a
  // schema that reaches itself gets the same (still filling) shape.
  const FieldNode::Shape* ShapeFor(std::string_view name, const Json& schema) {
    auto found = shapes_by_ref_.find(std::string(name));
    if (found != shapes_by_ref_.end()) return found->second;
    FieldNode::Shape* shape = &out_.shapes_.emplace_back();
    shapes_by_ref_.emplace(std::string(name), shape);
    FillShape(schema, *shape);
    return shape;
  }

  void FillShape(const Json& schema, FieldNode::Shape& shape) {
    const Json& props = schema["properties"];
    for (auto it = props.begin(); it != props.end(); ++it) {
      if (it->is_object()) shape.emplace_back(it.key(), NodeFor(*it));
    }
    std::sort(shape.begin(), shape.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }

  const FieldNode* NodeFor(const Json& schema) {
    // Recursion through `$ref`s ends at shared shapes; only a chain of arrays or maps that refers
    // to itself without an object in between could recurse forever, so cap the depth.
    if (depth_ > kMaxDepth) return leaf_;
    ++depth_;
    const FieldNode* node = NodeForUnguarded(schema);
    --depth_;
    return node;
  }

  const FieldNode* NodeForUnguarded(const Json& schema) {
    std::string_view ref = RefName(schema);
    const Json* target = ref.empty() ? &schema : Schema(ref);
    if (target == nullptr) return leaf_;
    if (TrueAt(schema, "x-kubernetes-preserve-unknown-fields") ||
        TrueAt(*target, "x-kubernetes-preserve-unknown-fields")) {
      return leaf_;
    }
    auto props = target->find("properties");
    auto items = target->find("items");
    auto values = target->find("additionalProperties");
    if (props != target->end() && props->is_object()) {
      FieldNode* node = &out_.nodes_.emplace_back();
      node->kind_ = FieldNode::Kind::kObject;
      node->go_type_ = GoStructType(ref);
      if (ref.empty()) {
        FieldNode::Shape* shape = &out_.shapes_.emplace_back();
        FillShape(*target, *shape);
        node->shape_ = shape;
      } else {
        node->shape_ = ShapeFor(ref, *target);
      }
      return node;
    }
    if (items != target->end() && items->is_object()) {
      const FieldNode* elements = NodeFor(*items);
      const Json* keys = ListMapKeys(schema);
      if (keys == nullptr) keys = ListMapKeys(*target);
      if (elements == leaf_ && keys == nullptr) return leaf_;
      FieldNode* node = &out_.nodes_.emplace_back();
      node->kind_ = FieldNode::Kind::kArray;
      node->elements_ = elements;
      if (!elements->go_type_.empty()) node->go_type_ = "[]" + elements->go_type_;
      if (keys != nullptr) {
        for (const Json& key : *keys) {
          if (key.is_string()) node->list_map_keys_.push_back(key.get<std::string>());
        }
      }
      return node;
    }
    if (values != target->end() && values->is_object()) {
      const FieldNode* elements = NodeFor(*values);
      if (elements == leaf_) return leaf_;  // any key, any values
      FieldNode* node = &out_.nodes_.emplace_back();
      node->kind_ = FieldNode::Kind::kMap;
      node->elements_ = elements;
      if (!elements->go_type_.empty()) node->go_type_ = "map[string]" + elements->go_type_;
      return node;
    }
    // Typed scalars; no fixed shape: `additionalProperties: true`, RawExtension, FieldsV1,
    // IntOrString, Quantity (both `oneOf`).
    return ScalarLeaf(*target);
  }

  // The shared leaf of a scalar schema (`type` and `format`), or the any-value leaf.
  const FieldNode* ScalarLeaf(const Json& schema) {
    const std::string* type = StringAt(schema, "type");
    if (type == nullptr) return leaf_;
    const std::string* format = StringAt(schema, "format");
    FieldNode::Scalar scalar = FieldNode::Scalar::kAny;
    std::string go_type;
    if (*type == "string") {
      scalar = FieldNode::Scalar::kString;
      go_type = (format != nullptr && *format == "byte") ? "[]uint8" : "string";
    } else if (*type == "integer") {
      scalar = FieldNode::Scalar::kInteger;
      go_type = (format != nullptr && *format == "int32") ? "int32" : "int64";
    } else if (*type == "number") {
      scalar = FieldNode::Scalar::kNumber;
      go_type = "float64";
    } else if (*type == "boolean") {
      scalar = FieldNode::Scalar::kBoolean;
      go_type = "bool";
    } else {
      return leaf_;
    }
    auto found = scalar_leaves_.find(go_type);
    if (found != scalar_leaves_.end()) return found->second;
    FieldNode* node = &out_.nodes_.emplace_back();
    node->scalar_ = scalar;
    node->go_type_ = go_type;
    scalar_leaves_.emplace(std::move(go_type), node);
    return node;
  }

  // "io.k8s.api.core.v1.PodSpec" -> "v1.PodSpec" (package and type, as Go prints it).
  static std::string GoStructType(std::string_view ref) {
    size_t type_dot = ref.rfind('.');
    if (type_dot == std::string_view::npos) return std::string(ref);
    size_t package_dot = ref.rfind('.', type_dot - 1);
    return std::string(package_dot == std::string_view::npos ? ref : ref.substr(package_dot + 1));
  }

  static constexpr int kMaxDepth = 256;
  const Json& schemas_;
  FieldIndex& out_;
  const FieldNode* leaf_ = nullptr;
  int depth_ = 0;
  std::unordered_map<std::string, const FieldNode::Shape*> shapes_by_ref_;
  std::unordered_map<std::string, const FieldNode*> scalar_leaves_;  // by Go type
};

const FieldNode* FieldNode::Field(std::string_view name) const {
  if (shape_ == nullptr) return nullptr;
  auto it = std::lower_bound(shape_->begin(), shape_->end(), name,
                             [](const auto& field, std::string_view n) { return field.first < n; });
  return (it != shape_->end() && it->first == name) ? it->second : nullptr;
}

Result<std::shared_ptr<const FieldIndex>> FieldIndex::FromOpenApiV3(std::string_view document) {
  auto index = std::make_shared<FieldIndex>();
  Json doc = ParseSchemasOnly(document);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidError("OpenAPI v3 document is not valid JSON");
  }
  auto components = doc.find("components");
  if (components == doc.end() || !components->is_object()) {
    return InvalidError("OpenAPI v3 document has no components");
  }
  auto schemas = components->find("schemas");
  if (schemas == components->end() || !schemas->is_object()) {
    return InvalidError("OpenAPI v3 document has no components.schemas");
  }
  FieldIndexBuilder(*schemas, *index).Build();
  return std::shared_ptr<const FieldIndex>(std::move(index));
}

const FieldNode* FieldIndex::Root(const GroupVersionKind& gvk) const {
  auto it = roots_.find(GvkKey(gvk.group, gvk.version, gvk.kind));
  return it == roots_.end() ? nullptr : it->second;
}

Result<FieldSchema> FieldSchemaCache::For(const GroupVersionKind& gvk) const {
  std::string key = GroupVersion{gvk.group, gvk.version}.Path();
  std::shared_ptr<const FieldIndex> index;
  bool cached = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = indexes_.find(key);
    if (it != indexes_.end()) {
      index = it->second;
      cached = true;
    }
  }
  if (!cached) {
    // Built outside the lock so requests for other group-versions do not wait; two racing
    // builders of one group-version both succeed and the first stored wins.
    Result<ServedDocument> doc = openapi_->ServeV3(key, "");
    if (doc.ok() && doc->body) {
      Result<std::shared_ptr<const FieldIndex>> built = FieldIndex::FromOpenApiV3(*doc->body);
      if (!built.ok()) return built.status().WithContext("OpenAPI v3 " + key);
      index = std::move(*built);
    } else if (!doc.ok() && doc.status().code() != StatusCode::kNotFound) {
      return doc.status();
    }
    std::lock_guard<std::mutex> lock(mu_);
    index = indexes_.emplace(key, index).first->second;  // null: no document (cached too)
  }
  const FieldNode* root = index ? index->Root(gvk) : nullptr;
  if (root == nullptr) {
    return NotFoundError("no OpenAPI schema for " + GvkKey(gvk.group, gvk.version, gvk.kind));
  }
  return FieldSchema{std::move(index), root};
}

namespace {

// Walks a value against its node; `J` is `Json` (pruning) or `const Json` (finding only).
template <typename J>
class Walker {
 public:
  static constexpr bool kRemove = !std::is_const_v<J>;

  Walker(std::vector<std::string>* out, bool apply_style) : out_(out), apply_style_(apply_style) {
    path_.reserve(128);
  }

  void Value(J& value, const FieldNode& node) {
    switch (node.kind()) {
      case FieldNode::Kind::kObject:
        if (value.is_object()) Object(value, node);
        break;
      case FieldNode::Kind::kArray:
        if (value.is_array()) Items(value, node);
        break;
      case FieldNode::Kind::kMap:
        if (value.is_object()) Map(value, *node.Elements());
        break;
      case FieldNode::Kind::kLeaf:
        break;
    }
  }

 private:
  void Object(J& obj, const FieldNode& node) {
    for (auto it = obj.begin(); it != obj.end();) {
      const FieldNode* child = node.Field(it.key());
      if (child == nullptr) {
        if (out_ != nullptr) {
          size_t mark = path_.size();
          PushName(it.key());
          out_->push_back(path_);
          path_.resize(mark);
        }
        if constexpr (kRemove) {
          it = obj.erase(it);
        } else {
          ++it;
        }
        continue;
      }
      if (child->kind() != FieldNode::Kind::kLeaf && !it->is_primitive()) {
        size_t mark = path_.size();
        PushName(it.key());
        Value(*it, *child);
        path_.resize(mark);
      }
      ++it;
    }
  }

  void Items(J& list, const FieldNode& node) {
    const FieldNode& elements = *node.Elements();
    if (elements.kind() == FieldNode::Kind::kLeaf) return;
    size_t index = 0;
    for (J& item : list) {
      if (!item.is_primitive()) {
        size_t mark = path_.size();
        PushIndex(item, index, node.list_map_keys());
        Value(item, elements);
        path_.resize(mark);
      }
      ++index;
    }
  }

  void Map(J& map, const FieldNode& elements) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->is_primitive()) continue;
      size_t mark = path_.size();
      PushName(it.key());
      Value(*it, elements);
      path_.resize(mark);
    }
  }

  void PushName(std::string_view name) {
    if (apply_style_ || !path_.empty()) path_.push_back('.');
    path_.append(name);
  }

  void PushIndex(const Json& item, size_t index, const std::vector<std::string>& keys) {
    path_.push_back('[');
    if (apply_style_ && !keys.empty() && item.is_object()) {
      // Server-side apply names associative-list items by their keys: [name="c",port=80].
      bool first = true;
      for (const std::string& key : keys) {
        auto value = item.find(key);
        if (value == item.end()) continue;
        if (!first) path_.push_back(',');
        first = false;
        path_.append(key).push_back('=');
        path_.append(value->dump());
      }
    } else {
      char digits[24];
      auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), index);
      path_.append(digits, ec == std::errc() ? end : digits);
    }
    path_.push_back(']');
  }

  std::vector<std::string>* out_;
  bool apply_style_;
  std::string path_;
};

}  // namespace

void PruneUnknownFields(nlohmann::json& obj, const FieldNode& root,
                        std::vector<std::string>* removed_paths) {
  Walker<Json>(removed_paths, /*apply_style=*/false).Value(obj, root);
}

void FindUnknownFieldsForApply(const nlohmann::json& obj, const FieldNode& root,
                               std::vector<std::string>* paths) {
  Walker<const Json>(paths, /*apply_style=*/true).Value(obj, root);
}

std::string StrictDecodingMessage(const std::vector<std::string>& paths) {
  std::string message = "strict decoding error: ";
  for (size_t i = 0; i < paths.size(); ++i) {
    if (i > 0) message.append(", ");
    message.append("unknown field ");
    AppendQuoted(message, paths[i]);
  }
  return message;
}

}  // namespace capstan::api
