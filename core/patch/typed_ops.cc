// Field sets of objects, named-field expansion, comparison and item removal for server-side
// apply (after structured-merge-diff's tofieldset.go, compare.go and remove.go).
// Header: typed_ops.h; MergeApplied is in typed_merge.cc.
#include "core/patch/typed_ops.h"

#include <map>
#include <vector>

#include "core/patch/typed_internal.h"

namespace capstan::patch {
namespace typed {

Shape ShapeOf(const Json& v, const std::optional<FieldMeta>& meta) {
  if (v.is_object()) {
    if (meta && meta->map_type == MapType::kAtomic) return Shape::kAtomic;
    if (meta && meta->kind == ValueKind::kMap) return Shape::kMap;
    return Shape::kStruct;
  }
  if (v.is_array()) {
    ListType lt = meta ? EffectiveListType(*meta) : ListType::kAtomic;
    return lt == ListType::kAtomic ? Shape::kAtomic : Shape::kList;
  }
  return Shape::kScalar;
}

std::string ChildPath(const std::string& parent, bool parent_is_map, std::string_view key) {
  if (parent_is_map) return parent + "[]";
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

Result<PathElement> ItemElement(const FieldMeta& list_meta, const Json& item, size_t index) {
  ListType lt = EffectiveListType(list_meta);
  if (lt == ListType::kSet) return ValueElement(item);
  std::vector<std::string_view> keys = EffectiveListMapKeys(list_meta);
  if (lt != ListType::kMap || keys.empty()) return IndexElement(index);
  if (!item.is_object()) {
    return BadRequestError("associative list with keys has an element that is not a map");
  }
  Json k = Json::object();
  for (std::string_view key : keys) {
    auto it = item.find(key);
    if (it != item.end()) {
      k[std::string(key)] = *it;
      continue;
    }
    const Json* defaults = list_meta.list_map_key_defaults;
    if (defaults != nullptr && defaults->is_object() && defaults->contains(key)) {
      k[std::string(key)] = *defaults->find(key);
    } else if (defaults == nullptr && key == "protocol") {
      k["protocol"] = "TCP";
    } else {
      return BadRequestError("associative list with keys has an element that omits key field \"" +
                             std::string(key) + "\" (and doesn't have default value)");
    }
  }
  return KeyElement(k);
}

}  // namespace typed

namespace {

using typed::Json;
using typed::Shape;

class Walker {
 public:
  explicit Walker(const PatchSchema& schema) : schema_(schema) {}

  std::optional<FieldMeta> Meta(const std::string& spath) const { return schema_.Lookup(spath); }

  // --- ToFieldSet ---
  Status Collect(const Json& v, const std::optional<FieldMeta>& meta, const std::string& spath,
                 FieldPath& path, FieldSet& out) {
    Shape shape = typed::ShapeOf(v, meta);
    switch (shape) {
      case Shape::kScalar:
      case Shape::kAtomic:
        out.Insert(path);
        return Status::Ok();
      case Shape::kStruct:
      case Shape::kMap: {
        bool is_map = shape == Shape::kMap;
        for (const auto& [k, child] : v.items()) {
          std::string cpath = typed::ChildPath(spath, is_map, k);
          path.push_back(FieldElement(k));
          CAPSTAN_RETURN_IF_ERROR(Collect(child, Meta(cpath), cpath, path, out));
          if (child.is_null() || (child.is_object() && child.empty()) || is_map) out.Insert(path);
          path.pop_back();
        }
        return Status::Ok();
      }
      case Shape::kList: {
        std::string ipath = typed::ItemPath(spath);
        std::optional<FieldMeta> imeta = Meta(ipath);
        std::vector<PathElement> elements;
        std::map<PathElement, int, std::less<>> count;
        for (size_t i = 0; i < v.size(); ++i) {
          Result<PathElement> e = typed::ItemElement(*meta, v[i], i);
          if (!e.ok()) return e.status().WithContext(PathString(path));
          ++count[*e];
          elements.push_back(std::move(e).value());
        }
        for (size_t i = 0; i < v.size(); ++i) {
          path.push_back(elements[i]);
          if (count[elements[i]] == 1) {
            CAPSTAN_RETURN_IF_ERROR(Collect(v[i], imeta, ipath, path, out));
          }
          out.Insert(path);  // duplicates are owned as a whole, not entered
          path.pop_back();
        }
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  // --- EnsureNamedFieldsAreMembers ---
  void EnsureNamed(const FieldSet& s, const std::string& spath, bool is_map, FieldPath& path,
                   FieldSet& out) {
    for (const auto& [e, child] : s.children()) {
      std::string cpath;
      if (e.starts_with("f:")) {
        cpath = typed::ChildPath(spath, is_map, std::string_view(e).substr(2));
      } else {
        cpath = typed::ItemPath(spath);
      }
      std::optional<FieldMeta> cmeta = Meta(cpath);
      path.push_back(e);
      if (e.starts_with("f:") && !is_map) out.Insert(path);
      EnsureNamed(child, cpath, cmeta && cmeta->kind == ValueKind::kMap, path, out);
      path.pop_back();
    }
  }

  // --- Compare ---
  Status Diff(const Json* l, const Json* r, const std::optional<FieldMeta>& meta,
              const std::string& spath, FieldPath& path, Comparison& c) {
    const Json& any = r != nullptr ? *r : *l;
    Shape shape = typed::ShapeOf(any, meta);
    bool leaf = shape == Shape::kScalar || shape == Shape::kAtomic ||
                (l != nullptr && r != nullptr && typed::DifferentKinds(*l, *r)) ||
                ((l == nullptr || typed::IsEmptyContainer(*l)) &&
                 (r == nullptr || typed::IsEmptyContainer(*r)));
    if (leaf) {
      if (l == nullptr) {
        c.added.Insert(path);
      } else if (r == nullptr) {
        c.removed.Insert(path);
      } else if (*l != *r) {
        c.modified.Insert(path);
      }
      return Status::Ok();
    }
    if (shape == Shape::kStruct || shape == Shape::kMap) {
      bool is_map = shape == Shape::kMap;
      std::map<std::string, std::pair<const Json*, const Json*>, std::less<>> keys;
      if (l != nullptr && l->is_object()) {
        for (const auto& [k, v] : l->items()) keys[k].first = &v;
      }
      if (r != nullptr && r->is_object()) {
        for (const auto& [k, v] : r->items()) keys[k].second = &v;
      }
      for (const auto& [k, lr] : keys) {
        std::string cpath = typed::ChildPath(spath, is_map, k);
        path.push_back(FieldElement(k));
        CAPSTAN_RETURN_IF_ERROR(Diff(lr.first, lr.second, Meta(cpath), cpath, path, c));
        path.pop_back();
      }
    } else {
      CAPSTAN_RETURN_IF_ERROR(DiffList(l, r, *meta, spath, path, c));
    }
    if (l == nullptr) {
      c.added.Insert(path);
    } else if (r == nullptr) {
      c.removed.Insert(path);
    }
    return Status::Ok();
  }

  Status DiffList(const Json* l, const Json* r, const FieldMeta& meta, const std::string& spath,
                  FieldPath& path, Comparison& c) {
    struct Group {
      std::vector<const Json*> left;
      std::vector<const Json*> right;
    };
    std::vector<PathElement> order;
    std::map<PathElement, Group, std::less<>> groups;
    for (int side = 0; side < 2; ++side) {
      const Json* list = side == 0 ? r : l;  // right first: the new order leads
      if (list == nullptr || !list->is_array()) continue;
      for (size_t i = 0; i < list->size(); ++i) {
        Result<PathElement> e = typed::ItemElement(meta, (*list)[i], i);
        if (!e.ok()) return e.status().WithContext(PathString(path));
        auto [it, fresh] = groups.try_emplace(*e);
        if (fresh) order.push_back(*e);
        (side == 0 ? it->second.right : it->second.left).push_back(&(*list)[i]);
      }
    }
    std::string ipath = typed::ItemPath(spath);
    std::optional<FieldMeta> imeta = Meta(ipath);
    for (const PathElement& e : order) {
      const Group& g = groups[e];
      path.push_back(e);
      if (g.left.size() <= 1 && g.right.size() <= 1) {
        CAPSTAN_RETURN_IF_ERROR(Diff(g.left.empty() ? nullptr : g.left[0],
                                     g.right.empty() ? nullptr : g.right[0], imeta, ipath, path,
                                     c));
      } else {
        // Duplicated keys are compared as one opaque group.
        Json lg = Json::array();
        Json rg = Json::array();
        for (const Json* v : g.left) lg.push_back(*v);
        for (const Json* v : g.right) rg.push_back(*v);
        if (g.left.empty()) {
          c.added.Insert(path);
        } else if (g.right.empty()) {
          c.removed.Insert(path);
        } else if (lg != rg) {
          c.modified.Insert(path);
        }
      }
      path.pop_back();
    }
    return Status::Ok();
  }

  // --- AddedFields: Diff(nullptr, r) with `node` the set node at `path` ---
  Status AddAll(const Json& r, const std::optional<FieldMeta>& meta, const std::string& spath,
                FieldPath& path, FieldSet& node) {
    Shape shape = typed::ShapeOf(r, meta);
    node.MarkMember();
    if (shape == Shape::kScalar || shape == Shape::kAtomic || typed::IsEmptyContainer(r)) {
      return Status::Ok();
    }
    if (shape == Shape::kStruct || shape == Shape::kMap) {
      bool is_map = shape == Shape::kMap;
      for (const auto& [k, v] : r.items()) {
        std::string cpath = typed::ChildPath(spath, is_map, k);
        path.push_back(FieldElement(k));
        FieldSet& child = node.MutableChild(path.back());
        CAPSTAN_RETURN_IF_ERROR(AddAll(v, Meta(cpath), cpath, path, child));
        path.pop_back();
      }
      return Status::Ok();
    }
    std::vector<PathElement> elements;
    std::map<PathElement, int, std::less<>> count;
    for (size_t i = 0; i < r.size(); ++i) {
      Result<PathElement> e = typed::ItemElement(*meta, r[i], i);
      if (!e.ok()) return e.status().WithContext(PathString(path));
      ++count[*e];
      elements.push_back(std::move(e).value());
    }
    std::string ipath = typed::ItemPath(spath);
    std::optional<FieldMeta> imeta = Meta(ipath);
    for (size_t i = 0; i < r.size(); ++i) {
      FieldSet& child = node.MutableChild(elements[i]);
      if (count[elements[i]] > 1) {  // duplicated keys: one opaque member, as Diff does
        child.MarkMember();
        continue;
      }
      path.push_back(elements[i]);
      CAPSTAN_RETURN_IF_ERROR(AddAll(r[i], imeta, ipath, path, child));
      path.pop_back();
    }
    return Status::Ok();
  }

  // --- RemoveItems ---
  Json Remove(const Json& v, const FieldSet& s, const std::optional<FieldMeta>& meta,
              const std::string& spath) {
    Shape shape = typed::ShapeOf(v, meta);
    if ((shape == Shape::kStruct || shape == Shape::kMap) && !v.empty()) {
      bool is_map = shape == Shape::kMap;
      Json out = Json::object();
      for (const auto& [k, child] : v.items()) {
        const FieldSet* cs = s.Child(FieldElement(k));
        if (cs != nullptr && cs->member()) continue;
        if (cs == nullptr) {
          out[k] = child;
          continue;
        }
        std::string cpath = typed::ChildPath(spath, is_map, k);
        out[k] = Remove(child, *cs, Meta(cpath), cpath);
      }
      return out;
    }
    if (shape == Shape::kList && !v.empty()) {
      std::string ipath = typed::ItemPath(spath);
      std::optional<FieldMeta> imeta = Meta(ipath);
      Json out = Json::array();
      for (size_t i = 0; i < v.size(); ++i) {
        Result<PathElement> e = typed::ItemElement(*meta, v[i], i);
        const FieldSet* cs = e.ok() ? s.Child(*e) : nullptr;
        if (cs != nullptr && cs->member()) continue;
        out.push_back(cs == nullptr ? v[i] : Remove(v[i], *cs, imeta, ipath));
      }
      return out;
    }
    return v;
  }

 private:
  const PatchSchema& schema_;
};

}  // namespace

Result<FieldSet> ToFieldSet(const nlohmann::json& object, const PatchSchema& schema) {
  Walker w(schema);
  FieldSet out;
  FieldPath path;
  CAPSTAN_RETURN_IF_ERROR(w.Collect(object, w.Meta(""), "", path, out));
  return out;
}

FieldSet EnsureNamedFieldsAreMembers(const FieldSet& set, const PatchSchema& schema) {
  Walker w(schema);
  FieldSet out = set;
  FieldPath path;
  w.EnsureNamed(set, "", false, path, out);
  return out;
}

Result<Comparison> Compare(const nlohmann::json& before, const nlohmann::json& after,
                           const PatchSchema& schema) {
  Walker w(schema);
  Comparison c;
  FieldPath path;
  const Json* l = before.is_null() ? nullptr : &before;
  const Json* r = after.is_null() ? nullptr : &after;
  if (l == nullptr && r == nullptr) return c;
  CAPSTAN_RETURN_IF_ERROR(w.Diff(l, r, w.Meta(""), "", path, c));
  return c;
}

Result<FieldSet> AddedFields(const nlohmann::json& after, const PatchSchema& schema) {
  Walker w(schema);
  FieldSet out;
  if (!after.is_object()) {
    Result<Comparison> c = Compare(Json::object(), after, schema);
    if (!c.ok()) return c.status();
    return std::move(c->added);
  }
  FieldPath path;
  std::optional<FieldMeta> root = w.Meta("");
  bool is_map = typed::ShapeOf(after, root) == Shape::kMap;
  for (const auto& [k, v] : after.items()) {
    std::string cpath = typed::ChildPath("", is_map, k);
    path.push_back(FieldElement(k));
    CAPSTAN_RETURN_IF_ERROR(w.AddAll(v, w.Meta(cpath), cpath, path, out.MutableChild(path.back())));
    path.pop_back();
  }
  return out;
}

nlohmann::json RemoveItems(const nlohmann::json& object, const FieldSet& set,
                           const PatchSchema& schema) {
  Walker w(schema);
  return w.Remove(object, set, w.Meta(""), "");
}

}  // namespace capstan::patch
