// Merging an applied configuration into a live object (after structured-merge-diff's merge.go,
// including its list ordering). Header: typed_ops.h.
#include <map>
#include <set>
#include <vector>

#include "core/patch/typed_internal.h"
#include "core/patch/typed_ops.h"

namespace capstan::patch {
namespace {

using typed::Json;
using typed::Shape;

class Merger {
 public:
  explicit Merger(const PatchSchema& schema) : schema_(schema) {}

  // `l` (live) may be null; `r` (config) may not.
  Result<Json> Merge(const Json* l, const Json& r, const std::optional<FieldMeta>& meta,
                     const std::string& spath, FieldPath& path) {
    if (l != nullptr && typed::DifferentKinds(*l, r)) l = nullptr;
    Shape shape = typed::ShapeOf(r, meta);
    switch (shape) {
      case Shape::kScalar:
      case Shape::kAtomic:
        return r;
      case Shape::kStruct:
      case Shape::kMap: {
        bool is_map = shape == Shape::kMap;
        Json out = l != nullptr && l->is_object() ? *l : Json::object();
        for (const auto& [k, rv] : r.items()) {
          if (rv.is_null()) {
            out.erase(k);  // an applied null removes the field (it stays owned)
            continue;
          }
          std::string cpath = typed::ChildPath(spath, is_map, k);
          auto existing = out.find(k);
          Json live_child = existing == out.end() ? Json() : std::move(*existing);
          path.push_back(FieldElement(k));
          Result<Json> m = Merge(existing == out.end() ? nullptr : &live_child, rv,
                                 schema_.Lookup(cpath), cpath, path);
          path.pop_back();
          if (!m.ok()) return m.status();
          out[k] = std::move(m).value();
        }
        return out;
      }
      case Shape::kList:
        if (r.empty() && (l == nullptr || l->empty())) return r;
        return MergeList(l, r, *meta, spath, path);
    }
    return r;
  }

 private:
  struct Indexed {
    std::vector<PathElement> elements;
    std::map<PathElement, const Json*, std::less<>> observed;  // nullptr: duplicated
  };

  Result<Indexed> Index(const Json* list, const FieldMeta& meta, bool allow_duplicates,
                        const FieldPath& path) {
    Indexed idx;
    if (list == nullptr) return idx;
    for (size_t i = 0; i < list->size(); ++i) {
      Result<PathElement> e = typed::ItemElement(meta, (*list)[i], i);
      if (!e.ok()) return e.status().WithContext(PathString(path));
      auto [it, fresh] = idx.observed.try_emplace(*e, &(*list)[i]);
      if (!fresh) {
        if (!allow_duplicates) {
          FieldPath item = path;
          item.push_back(*e);
          return BadRequestError(PathString(path) + ": duplicate entries for key " +
                                 PathString(std::span(item).subspan(path.size())));
        }
        it->second = nullptr;
      }
      idx.elements.push_back(std::move(e).value());
    }
    return idx;
  }

  // structured-merge-diff's `visitListItems`: the configuration's items keep their order,
  // live-only items stay where they were relative to the shared ones.
  Result<Json> MergeList(const Json* l, const Json& r, const FieldMeta& meta,
                         const std::string& spath, FieldPath& path) {
    Result<Indexed> rhs = Index(&r, meta, false, path);
    if (!rhs.ok()) return rhs.status();
    Result<Indexed> lhs = Index(l, meta, true, path);
    if (!lhs.ok()) return lhs.status();
    std::string ipath = typed::ItemPath(spath);
    std::optional<FieldMeta> imeta = schema_.Lookup(ipath);

    std::vector<const PathElement*> shared;
    for (const PathElement& e : rhs->elements) {
      if (lhs->observed.count(e) > 0) shared.push_back(&e);
    }
    size_t next_shared_pos = 0;
    auto next_shared = [&]() -> const PathElement* {
      return next_shared_pos < shared.size() ? shared[next_shared_pos] : nullptr;
    };
    std::set<PathElement, std::less<>> merged_rhs;
    Json out = Json::array();
    auto merge_item = [&](const PathElement& e, const Json* live_item) -> Status {
      path.push_back(e);
      Result<Json> m = Merge(live_item, *rhs->observed[e], imeta, ipath, path);
      path.pop_back();
      if (!m.ok()) return m.status();
      out.push_back(std::move(m).value());
      return Status::Ok();
    };
    size_t li = 0;
    size_t ri = 0;
    const size_t ll = lhs->elements.size();
    const size_t rl = rhs->elements.size();
    while (li < ll || ri < rl) {
      if (li < ll && ri < rl) {
        const PathElement& e = lhs->elements[li];
        if (e == rhs->elements[ri]) {
          merged_rhs.insert(e);
          CAPSTAN_RETURN_IF_ERROR(merge_item(e, lhs->observed[e]));
          ++li;
          ++ri;
          ++next_shared_pos;
          continue;
        }
        if (rhs->observed.count(e) > 0 && next_shared() != nullptr && *next_shared() != e) {
          ++li;  // shared, but not the one wanted in this round
          continue;
        }
      }
      if (li < ll) {
        const PathElement& e = lhs->elements[li];
        if (rhs->observed.count(e) == 0) {
          out.push_back((*l)[li]);
          ++li;
          continue;
        }
        if (merged_rhs.count(e) > 0) ++li;  // already merged with the configuration's item
      }
      if (ri < rl) {
        const PathElement& e = rhs->elements[ri];
        merged_rhs.insert(e);
        auto live = lhs->observed.find(e);
        CAPSTAN_RETURN_IF_ERROR(
            merge_item(e, live == lhs->observed.end() ? nullptr : live->second));
        ++ri;
        if (next_shared() != nullptr && *next_shared() == e) ++next_shared_pos;
      }
    }
    return out;
  }

  const PatchSchema& schema_;
};

}  // namespace

Result<nlohmann::json> MergeApplied(const nlohmann::json& live, const nlohmann::json& config,
                                    const PatchSchema& schema) {
  Merger m(schema);
  FieldPath path;
  return m.Merge(live.is_null() ? nullptr : &live, config, schema.Lookup(""), "", path);
}

}  // namespace capstan::patch
