// Pruning of custom resources by their structural schema, and the unknown-field report that
// `fieldValidation` (Warn/Strict) and server-side apply use (crd_schema.h). One walker does both,
// so what is reported is exactly what a write prunes.
#include <algorithm>
#include <array>
#include <string_view>
#include <type_traits>

#include "core/apiserver/crd_schema_node.h"

namespace capstan::apiserver {
namespace {

using Json = nlohmann::json;
using Node = StructuralSchema::Node;

constexpr std::array<std::string_view, 15> kObjectMetaFields = {"name",
                                                                "generateName",
                                                                "namespace",
                                                                "selfLink",
                                                                "uid",
                                                                "resourceVersion",
                                                                "generation",
                                                                "creationTimestamp",
                                                                "deletionTimestamp",
                                                                "deletionGracePeriodSeconds",
                                                                "labels",
                                                                "annotations",
                                                                "ownerReferences",
                                                                "finalizers",
                                                                "managedFields"};

bool IsObjectMetaField(std::string_view key) {
  return std::find(kObjectMetaFields.begin(), kObjectMetaFields.end(), key) !=
         kObjectMetaFields.end();
}

// Walks a value against its schema node: `J` is `Json` to remove unknown members, `const Json`
// to only name them. Paths are kube-apiserver's: strict decoding uses `spec.items[0].foo`,
// server-side apply `.spec.items[0].foo`.
template <typename J>
class UnknownFieldWalker {
  static constexpr bool kRemove = !std::is_const_v<J>;

 public:
  UnknownFieldWalker(std::vector<std::string>* out, bool apply_style)
      : out_(out), apply_style_(apply_style) {}

  // `keep_meta`: the value is a whole object (root or embedded resource) whose apiVersion, kind
  // and metadata are kept; unknown metadata members go, as upstream's ObjectMeta decoding drops
  // them.
  void Value(const Node& node, J& value, bool keep_meta) {
    if (node.int_or_string) return;
    if (value.is_array()) {
      if (node.items == nullptr) return;
      size_t index = 0;
      for (J& item : value) {
        size_t mark = path_.size();
        PushIndex(index++);
        Value(*node.items, item, node.items->embedded_resource);
        path_.resize(mark);
      }
      return;
    }
    if (!value.is_object()) return;
    for (auto it = value.begin(); it != value.end();) {
      const std::string& key = it.key();
      size_t mark = path_.size();
      PushName(key);
      const Node* child = nullptr;
      bool unknown = false;
      if (keep_meta && IsMetaField(key)) {
        if (key == "metadata" && it->is_object()) Metadata(*it);
      } else if (auto p = node.properties.find(key); p != node.properties.end()) {
        child = p->second.get();
      } else if (node.additional_properties != nullptr) {
        child = node.additional_properties.get();
      } else {
        unknown = !node.additional_properties_any && !node.preserve_unknown;
      }
      if (unknown) {
        Report();
        path_.resize(mark);
        if constexpr (kRemove) {
          it = value.erase(it);
          continue;
        }
      } else if (child != nullptr) {
        Value(*child, *it, child->embedded_resource);
      }
      path_.resize(mark);
      ++it;
    }
  }

  // Drops (names) the members ObjectMeta does not have.
  void Metadata(J& meta) {
    for (auto it = meta.begin(); it != meta.end();) {
      if (IsObjectMetaField(it.key())) {
        ++it;
        continue;
      }
      size_t mark = path_.size();
      PushName(it.key());
      Report();
      path_.resize(mark);
      if constexpr (kRemove) {
        it = meta.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  void Report() {
    if (out_ != nullptr) out_->push_back(path_);
  }

  void PushName(std::string_view name) {
    if (apply_style_ || !path_.empty()) path_.push_back('.');
    path_.append(name);
  }

  void PushIndex(size_t index) { path_ += '[' + std::to_string(index) + ']'; }

  std::vector<std::string>* out_;
  bool apply_style_;
  std::string path_;
};

}  // namespace

void PruneObjectMeta(Json& meta) {
  if (meta.is_object()) UnknownFieldWalker<Json>(nullptr, false).Metadata(meta);
}

void StructuralSchema::Prune(Json& object, std::vector<std::string>* removed_paths) const {
  UnknownFieldWalker<Json>(removed_paths, false).Value(*root_, object, true);
}

void StructuralSchema::FindUnknownFields(const Json& object, bool apply_style,
                                         std::vector<std::string>* paths) const {
  UnknownFieldWalker<const Json>(paths, apply_style).Value(*root_, object, true);
}

}  // namespace capstan::apiserver
