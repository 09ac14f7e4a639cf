// ControllerRevision history helpers (see history.h).
#include "plugins/controllers/kit/history.h"

#include <algorithm>
#include <utility>

#include "plugins/controllers/kit/api.h"

namespace capstan::controllers {
namespace {

constexpr uint32_t kFnvOffset = 2166136261u;
constexpr uint32_t kFnvPrime = 16777619u;

// Drops nulls and empty maps/lists at every depth: the server may omit what we send empty (and
// upstream's typed decode does too), and hashes and comparisons must not depend on it.
Json Canonical(const Json& j) {
  if (j.is_array()) {
    Json list = Json::array();
    for (const Json& item : j) list.push_back(Canonical(item));
    return list;
  }
  if (!j.is_object()) return j;
  Json map = Json::object();
  for (const auto& [key, value] : j.items()) {
    Json c = Canonical(value);
    bool empty = c.is_null() || (c.is_structured() && c.empty());
    if (!empty) map[key] = std::move(c);
  }
  return map;
}

std::string Encoded(uint32_t sum) { return SafeEncodeString(std::to_string(sum)); }

// The owner's ownerReferences without the one of uid `uid`.
Json RefsWithout(const Json& object, const std::string& uid) {
  Json refs = Json::array();
  const Json* existing = sdk::json::FindPath(object, {"metadata", "ownerReferences"});
  if (existing == nullptr || !existing->is_array()) return refs;
  for (const Json& r : *existing) {
    if (GetStr(r, {"uid"}) != uid) refs.push_back(r);
  }
  return refs;
}

}  // namespace

std::string SafeEncodeString(std::string_view s) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out(s.size(), 'b');
  for (size_t i = 0; i < s.size(); ++i) {
    out[i] = kAlphabet[static_cast<unsigned char>(s[i]) % kAlphabet.size()];
  }
  return out;
}

std::string ComputeTemplateHash(const Json& pod_template, std::optional<int64_t> collision_count) {
  uint32_t h = kFnvOffset;
  auto fnv1a = [&h](unsigned char byte) {
    h ^= byte;
    h *= kFnvPrime;
  };
  for (char c : sdk::json::Dump(Canonical(pod_template))) fnv1a(static_cast<unsigned char>(c));
  if (collision_count) {
    auto n = static_cast<uint32_t>(*collision_count);
    for (int i = 0; i < 8; ++i) fnv1a(i < 4 ? static_cast<unsigned char>(n >> (8 * i)) : 0);
  }
  return Encoded(h);
}

std::string HashRevisionData(const Json& data, std::optional<int64_t> probe) {
  uint32_t h = kFnvOffset;
  std::string bytes = sdk::json::Dump(Canonical(data));
  if (probe) bytes += std::to_string(*probe);
  for (char c : bytes) {
    h *= kFnvPrime;  // FNV-1: multiply, then xor
    h ^= static_cast<unsigned char>(c);
  }
  return Encoded(h);
}

std::string RevisionName(std::string_view owner_name, std::string_view hash) {
  std::string name(owner_name.substr(0, 223));
  name += '-';
  name += hash;
  return name;
}

Json TemplatePatch(const Json& owner) {
  const Json* tmpl = sdk::json::FindPath(owner, {"spec", "template"});
  Json replaced = tmpl != nullptr && tmpl->is_object() ? *tmpl : Json::object();
  replaced["$patch"] = "replace";
  return Json{{"spec", {{"template", std::move(replaced)}}}};
}

bool RevisionDataEqual(const Json& a, const Json& b) { return Canonical(a) == Canonical(b); }

bool EqualRevision(const Json& a, const Json& b) {
  std::string ha = GetStr(a, {"metadata", "labels", kControllerRevisionHashLabel});
  std::string hb = GetStr(b, {"metadata", "labels", kControllerRevisionHashLabel});
  if (!ha.empty() && !hb.empty() && ha != hb) return false;
  const Json* da = sdk::json::Find(a, "data");
  const Json* db = sdk::json::Find(b, "data");
  return RevisionDataEqual(da != nullptr ? *da : Json(), db != nullptr ? *db : Json());
}

Json NewControllerRevision(const Json& owner, std::string_view api_version, std::string_view kind,
                           const Json& labels, const Json& annotations, const Json& data,
                           int64_t revision, std::string_view hash) {
  Json meta = Json::object();
  meta["name"] = RevisionName(Name(owner), hash);
  meta["namespace"] = Namespace(owner);
  meta["labels"] = labels.is_object() ? labels : Json::object();
  meta["labels"][kControllerRevisionHashLabel] = hash;
  if (annotations.is_object() && !annotations.empty()) meta["annotations"] = annotations;
  meta["ownerReferences"] = Json::array({NewControllerRef(owner, api_version, kind)});
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "ControllerRevision"},
              {"metadata", std::move(meta)},
              {"data", data},
              {"revision", revision}};
}

int64_t RevisionNumber(const Json& revision) { return GetNum(revision, {"revision"}); }

int64_t NextRevision(const std::vector<Json>& revisions) {
  int64_t max = 0;
  for (const Json& r : revisions) max = std::max(max, RevisionNumber(r));
  return max + 1;
}

void SortByRevision(std::vector<Json>& revisions) {
  std::stable_sort(revisions.begin(), revisions.end(), [](const Json& a, const Json& b) {
    if (RevisionNumber(a) != RevisionNumber(b)) return RevisionNumber(a) < RevisionNumber(b);
    std::optional<int64_t> ta = ParseTime(GetStr(a, {"metadata", "creationTimestamp"}));
    std::optional<int64_t> tb = ParseTime(GetStr(b, {"metadata", "creationTimestamp"}));
    if (ta != tb) return ta < tb;
    return Name(a) < Name(b);
  });
}

sdk::Status ListRevisions(const sdk::Host& host, std::string_view ns, std::vector<Json>* out) {
  std::string text;
  sdk::Status s = host.CacheList(kControllerRevisionResource, ns, {}, &text);
  if (!s.ok()) return sdk::Status::RetryLater("listing controller revisions: " + s.message(), 1000);
  std::optional<Json> list = sdk::json::Parse(text);
  if (!list || !list->is_array()) return sdk::Status::Error("cache returned a non-array list");
  out->assign(list->begin(), list->end());
  return sdk::Status::Ok();
}

sdk::Status ClaimObjects(sdk::Call& call, const Json& owner, std::string_view owner_api_version,
                         std::string_view owner_kind, const Selector& selector,
                         const std::vector<Json>& objects, std::string_view group_version,
                         std::string_view plural, std::vector<Json>* owned) {
  std::string uid = Uid(owner);
  bool owner_deleting = Deleting(owner);
  for (const Json& object : objects) {
    const Json* ref = ControllerRef(object);
    bool matches = selector.Matches(Labels(object));
    if (ref != nullptr && GetStr(*ref, {"uid"}) != uid) continue;  // another controller's
    if (ref != nullptr && matches) {
      owned->push_back(object);
      continue;
    }
    if (owner_deleting) continue;
    if (ref == nullptr && (!matches || Deleting(object))) continue;
    if (ref == nullptr && Namespace(object) != Namespace(owner)) continue;

    // Adopt (our controller reference appended) or release (ours dropped); the resourceVersion
    // turns a concurrent change into 409, retried with a fresh cache.
    Json refs = RefsWithout(object, uid);
    bool adopt = ref == nullptr;
    if (adopt) refs.push_back(NewControllerRef(owner, owner_api_version, owner_kind));
    Json patch = {{"metadata", {{"ownerReferences", refs}}}};
    std::string rv = GetStr(object, {"metadata", "resourceVersion"});
    if (!rv.empty()) patch["metadata"]["resourceVersion"] = rv;
    Json updated;
    sdk::Status s =
        Send(call, "PATCH", ApiPath(group_version, plural, Namespace(object), Name(object)),
             kMergePatch, sdk::json::Dump(patch), &updated);
    if (s.code() == CAPSTAN_RC_NOT_FOUND) continue;
    if (!s.ok()) return s;
    if (adopt) owned->push_back(updated.is_object() ? updated : object);
  }
  return sdk::Status::Ok();
}

sdk::Status CreateRevision(sdk::Call& call, const Json& revision, Json* created) {
  return Send(call, "POST", ApiPath("apps/v1", "controllerrevisions", Namespace(revision)), kJson,
              sdk::json::Dump(revision), created);
}

sdk::Status CreateRevisionProbing(sdk::Call& call, const Json& owner, const Json& revision,
                                  int64_t* collision_count, Json* created) {
  const Json* data = sdk::json::Find(revision, "data");
  Json clone = revision;
  // Bounded: each round either returns or finds another revision holding the name.
  for (int attempt = 0; attempt < 100; ++attempt) {
    clone["metadata"]["name"] = RevisionName(
        Name(owner), HashRevisionData(data != nullptr ? *data : Json(), *collision_count));
    sdk::Status s = CreateRevision(call, clone, created);
    if (s.code() != CAPSTAN_RC_ALREADY_EXISTS) return s;
    Json existing;
    CAPSTAN_SDK_RETURN_IF_ERROR(
        Send(call, "GET", ApiPath("apps/v1", "controllerrevisions", Namespace(owner), Name(clone)),
             kJson, "", &existing));
    const Json* existing_data = sdk::json::Find(existing, "data");
    if (RevisionDataEqual(existing_data != nullptr ? *existing_data : Json(),
                          data != nullptr ? *data : Json())) {
      *created = std::move(existing);
      return sdk::Status::Ok();
    }
    ++*collision_count;
  }
  return sdk::Status::Error("no free controller revision name for " + KeyOf(owner));
}

sdk::Status UpdateRevisionNumber(sdk::Call& call, const Json& revision, int64_t number,
                                 Json* updated) {
  Json copy = revision;
  copy["revision"] = number;
  return Send(call, "PUT",
              ApiPath("apps/v1", "controllerrevisions", Namespace(revision), Name(revision)), kJson,
              sdk::json::Dump(copy), updated);
}

sdk::Status DeleteRevision(sdk::Call& call, const Json& revision) {
  sdk::Status s = Send(
      call, "DELETE",
      ApiPath("apps/v1", "controllerrevisions", Namespace(revision), Name(revision)), kJson, "");
  return s.code() == CAPSTAN_RC_NOT_FOUND ? sdk::Status::Ok() : s;
}

std::vector<Json> RevisionsToPrune(std::vector<Json> old, int64_t limit,
                                   const std::function<bool(const Json&)>& is_live,
                                   LiveRevisions mode) {
  limit = std::max<int64_t>(limit, 0);
  SortByRevision(old);
  std::vector<Json> out;
  if (mode == LiveRevisions::kExcluded) {
    std::vector<Json> history;
    for (Json& r : old) {
      if (!is_live(r)) history.push_back(std::move(r));
    }
    int64_t excess = static_cast<int64_t>(history.size()) - limit;
    for (int64_t i = 0; i < excess; ++i) out.push_back(std::move(history[static_cast<size_t>(i)]));
    return out;
  }
  int64_t to_kill = static_cast<int64_t>(old.size()) - limit;
  for (Json& r : old) {
    if (to_kill <= 0) break;
    if (is_live(r)) continue;
    out.push_back(std::move(r));
    --to_kill;
  }
  return out;
}

}  // namespace capstan::controllers
