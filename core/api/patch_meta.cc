// Builds `PatchIndex` from an OpenAPI v3 document: one node per schema position, object shapes
// shared per `$ref` (so recursive schemas terminate), then a fixpoint pass that drops every
// branch without markers. nlohmann/json is used without exceptions (parse with
// allow_exceptions=false, typed access only after type checks).
#include "core/api/patch_meta.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

// The `$ref` target name of `schema` (direct, or the single-element `allOf` upstream uses to
// attach a description to a reference), or empty.
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

// Parses with a filter: the top-level `paths` and every string `description` are dropped as they
// are read, which shrinks the transient tree several times over.
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

}  // namespace

class PatchIndexBuilder {
 public:
  PatchIndexBuilder(const Json& schemas, PatchIndex& out) : schemas_(schemas), out_(out) {}

  Status Build() {
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
        PatchNode* root = NewNode();
        ApplyMarkers(*it, *root);
        root->type_ = NodeType::kObject;
        root->shape_ = ShapeFor(it.key());
        out_.roots_.emplace(std::move(key), root);
      }
    }
    Prune();
    return Status::Ok();
  }

 private:
  PatchNode* NewNode() { return &out_.nodes_.emplace_back(); }

  static void ApplyMarkers(const Json& schema, PatchNode& node) {
    if (const std::string* key = StringAt(schema, "x-kubernetes-patch-merge-key")) {
      if (node.merge_key_.empty()) node.merge_key_ = *key;
    }
    if (const std::string* strategy = StringAt(schema, "x-kubernetes-patch-strategy")) {
      std::string_view rest = *strategy;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view part = rest.substr(0, comma);
        if (part == "merge") node.strategy_ |= PatchNode::kMerge;
        if (part == "retainKeys") node.strategy_ |= PatchNode::kRetainKeys;
        if (part == "replace") node.strategy_ |= PatchNode::kReplace;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    if (const std::string* list_type = StringAt(schema, "x-kubernetes-list-type")) {
      if (node.list_type_ == ListType::kUnspecified) {
        if (*list_type == "atomic") node.list_type_ = ListType::kAtomic;
        if (*list_type == "set") node.list_type_ = ListType::kSet;
        if (*list_type == "map") node.list_type_ = ListType::kMap;
      }
    }
    auto keys = schema.find("x-kubernetes-list-map-keys");
    if (keys != schema.end() && keys->is_array() && node.list_map_keys_.empty()) {
      for (const Json& key : *keys) {
        if (key.is_string()) node.list_map_keys_.push_back(key.get<std::string>());
      }
    }
    if (const std::string* map_type = StringAt(schema, "x-kubernetes-map-type")) {
      if (node.map_type_ == MapType::kUnspecified) {
        if (*map_type == "atomic") node.map_type_ = MapType::kAtomic;
        if (*map_type == "granular") node.map_type_ = MapType::kGranular;
      }
    }
  }

  static bool HasMarkers(const PatchNode& node) {
    return !node.merge_key_.empty() || node.strategy_ != 0 ||
           node.list_type_ != ListType::kUnspecified || node.map_type_ != MapType::kUnspecified ||
           !node.list_map_keys_.empty();
  }

  const Json* Schema(std::string_view name) const {
    auto it = schemas_.find(std::string(name));
    return (it != schemas_.end() && it->is_object()) ? &*it : nullptr;
  }

  // The shared shape of a named object schema; registered before its properties are walked, so a
  // schema that reaches itself gets the same (still filling) shape.
  const PatchNode::Shape* ShapeFor(std::string_view name) {
    auto found = shapes_by_ref_.find(std::string(name));
    if (found != shapes_by_ref_.end()) return found->second;
    PatchNode::Shape* shape = &out_.shapes_.emplace_back();
    shapes_by_ref_.emplace(std::string(name), shape);
    if (const Json* schema = Schema(name)) FillShape(*schema, *shape);
    return shape;
  }

  void FillShape(const Json& schema, PatchNode::Shape& shape) {
    auto props = schema.find("properties");
    if (props == schema.end() || !props->is_object()) return;
    for (auto it = props->begin(); it != props->end(); ++it) {
      if (!it->is_object()) continue;
      if (const PatchNode* child = NodeFor(*it)) shape.fields.emplace_back(it.key(), child);
    }
  }

  // A node for a schema position, or null for a plain scalar without markers.
  const PatchNode* NodeFor(const Json& schema) {
    // Recursion through `$ref`s ends at shared shapes; only a chain of arrays or maps that
    // refers to itself without an object in between could recurse forever, so cap the depth.
    if (depth_ > kMaxDepth) return nullptr;
    ++depth_;
    const PatchNode* node = NodeForUnguarded(schema);
    --depth_;
    return node;
  }

  const PatchNode* NodeForUnguarded(const Json& schema) {
    std::string_view ref = RefName(schema);
    const Json* target = ref.empty() ? &schema : Schema(ref);
    if (target == nullptr) return nullptr;
    auto props = target->find("properties");
    auto items = target->find("items");
    auto values = target->find("additionalProperties");
    bool is_object = props != target->end() && props->is_object();
    bool is_array = items != target->end() && items->is_object();
    bool is_map = values != target->end() && values->is_object();

    PatchNode probe;
    ApplyMarkers(schema, probe);
    if (!ref.empty()) ApplyMarkers(*target, probe);
    if (!is_object && !is_array && !is_map && !HasMarkers(probe)) return nullptr;

    PatchNode* node = NewNode();
    *node = std::move(probe);
    if (is_object) {
      node->type_ = NodeType::kObject;
      if (ref.empty()) {
        PatchNode::Shape* shape = &out_.shapes_.emplace_back();
        FillShape(*target, *shape);
        node->shape_ = shape;
      } else {
        node->shape_ = ShapeFor(ref);
      }
    } else if (is_array) {
      node->type_ = NodeType::kArray;
      node->elements_ = NodeFor(*items);
      node->list_map_key_defaults_ = KeyDefaults(*items, node->list_map_keys_);
    } else if (is_map) {
      node->type_ = NodeType::kMap;
      node->elements_ = NodeFor(*values);
    }
    return node;
  }

  // The `default`s of the list-map key properties of an item schema (apply uses them for items
  // that omit a key, e.g. a container port without `protocol`).
  Json KeyDefaults(const Json& item_schema, const std::vector<std::string>& keys) const {
    if (keys.empty()) return nullptr;
    std::string_view ref = RefName(item_schema);
    const Json* target = ref.empty() ? &item_schema : Schema(ref);
    if (target == nullptr) return nullptr;
    auto props = target->find("properties");
    if (props == target->end() || !props->is_object()) return nullptr;
    Json defaults = nullptr;
    for (const std::string& key : keys) {
      auto prop = props->find(key);
      if (prop == props->end() || !prop->is_object()) continue;
      auto value = prop->find("default");
      if (value != prop->end()) defaults[key] = *value;
    }
    return defaults;
  }

  // Marks what leads to markers (a fixpoint, since shapes can be recursive), then unlinks the rest.
  void Prune() {
    std::unordered_map<const PatchNode*, bool> node_live;
    std::unordered_map<const PatchNode::Shape*, bool> shape_live;
    for (const PatchNode& node : out_.nodes_) node_live[&node] = HasMarkers(node);
    for (const PatchNode::Shape& shape : out_.shapes_) shape_live[&shape] = false;
    bool changed = true;
    while (changed) {
      changed = false;
      for (PatchNode::Shape& shape : out_.shapes_) {
        if (shape_live[&shape]) continue;
        for (const auto& field : shape.fields) {
          if (node_live[field.second]) {
            shape_live[&shape] = changed = true;
            break;
          }
        }
      }
      for (PatchNode& node : out_.nodes_) {
        if (node_live[&node]) continue;
        if ((node.elements_ && node_live[node.elements_]) ||
            (node.shape_ && shape_live[node.shape_])) {
          node_live[&node] = changed = true;
        }
      }
    }
    for (PatchNode::Shape& shape : out_.shapes_) {
      std::erase_if(shape.fields, [&](const auto& field) { return !node_live[field.second]; });
      std::sort(shape.fields.begin(), shape.fields.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      shape.fields.shrink_to_fit();
    }
    for (PatchNode& node : out_.nodes_) {
      if (node.elements_ && !node_live[node.elements_]) node.elements_ = nullptr;
      if (node.shape_ && !shape_live[node.shape_]) node.shape_ = nullptr;
    }
  }

  static constexpr int kMaxDepth = 256;
  const Json& schemas_;
  PatchIndex& out_;
  int depth_ = 0;
  std::unordered_map<std::string, const PatchNode::Shape*> shapes_by_ref_;
};

const PatchNode* PatchNode::Field(std::string_view name) const {
  if (shape_ == nullptr) return nullptr;
  auto it = std::lower_bound(shape_->fields.begin(), shape_->fields.end(), name,
                             [](const auto& field, std::string_view n) { return field.first < n; });
  return (it != shape_->fields.end() && it->first == name) ? it->second : nullptr;
}

const std::vector<std::pair<std::string, const PatchNode*>>& PatchNode::fields() const {
  static const std::vector<std::pair<std::string, const PatchNode*>> kNone;
  return shape_ ? shape_->fields : kNone;
}

const PatchNode* PatchMeta::Lookup(std::string_view path) const {
  const PatchNode* node = root_;
  while (node != nullptr && !path.empty()) {
    size_t dot = path.find('.');
    std::string_view step = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    size_t brackets = 0;
    while (step.size() >= 2 && step.ends_with("[]")) {
      step.remove_suffix(2);
      ++brackets;
    }
    if (!step.empty()) node = node->Field(step);
    for (; node != nullptr && brackets > 0; --brackets) node = node->Elements();
  }
  return node;
}

Result<std::shared_ptr<const PatchIndex>> PatchIndex::FromOpenApiV3(std::string_view document) {
  auto index = std::make_shared<PatchIndex>();
  {
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
    CAPSTAN_RETURN_IF_ERROR(PatchIndexBuilder(*schemas, *index).Build());
  }
#if defined(__GLIBC__)
  // The parse tree was thousands of small blocks; hand the freed pages back so building metadata
  // does not raise the server's resident size for good.
  malloc_trim(0);
#endif
  return std::shared_ptr<const PatchIndex>(std::move(index));
}

Result<PatchMeta> PatchIndex::For(const GroupVersionKind& gvk) const {
  auto it = roots_.find(GvkKey(gvk.group, gvk.version, gvk.kind));
  if (it == roots_.end()) {
    return NotFoundError("no OpenAPI schema for " + GvkKey(gvk.group, gvk.version, gvk.kind));
  }
  return PatchMeta(shared_from_this(), it->second);
}

}  // namespace capstan::api
