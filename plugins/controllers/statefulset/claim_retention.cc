// PersistentVolumeClaim retention ownership (see claim_retention.h).
#include "plugins/controllers/statefulset/claim_retention.h"

#include "plugins/controllers/statefulset/stateful_pod.h"

namespace capstan::controllers {
namespace {

const Json& Refs(const Json& o) {
  static const Json kEmpty = Json::array();
  const Json* refs = sdk::json::FindPath(o, {"metadata", "ownerReferences"});
  return refs != nullptr && refs->is_array() ? *refs : kEmpty;
}

bool MatchesRef(const Json& ref, const Json& owner, const char* api_version, const char* kind) {
  return GetStr(ref, {"apiVersion"}) == api_version && GetStr(ref, {"kind"}) == kind &&
         GetStr(ref, {"name"}) == Name(owner);
}

bool IsControllerRef(const Json& ref) {
  const Json* c = sdk::json::Find(ref, "controller");
  return c != nullptr && c->is_boolean() && c->get<bool>();
}

bool HasNonControllerOwner(const Json& claim, const Json& set, const Json& pod) {
  for (const Json& ref : Refs(claim)) {
    std::string uid = GetStr(ref, {"uid"});
    if ((uid == Uid(set) || (!Uid(pod).empty() && uid == Uid(pod))) && !IsControllerRef(ref)) {
      return true;
    }
  }
  return false;
}

void AddControllerRef(Json& refs, const Json& owner, const char* api_version, const char* kind) {
  for (const Json& ref : refs) {
    if (GetStr(ref, {"uid"}) == Uid(owner)) return;
  }
  refs.push_back(NewControllerRef(owner, api_version, kind));
}

}  // namespace

RetentionPolicy RetentionOf(const Json& set) {
  RetentionPolicy p;
  p.delete_when_deleted =
      GetStr(set, {"spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"}) == "Delete";
  p.delete_when_scaled =
      GetStr(set, {"spec", "persistentVolumeClaimRetentionPolicy", "whenScaled"}) == "Delete";
  return p;
}

bool HasOwnerRef(const Json& claim, const Json& owner) {
  std::string uid = Uid(owner);
  if (uid.empty()) return false;
  for (const Json& ref : Refs(claim)) {
    if (GetStr(ref, {"uid"}) == uid) return true;
  }
  return false;
}

bool HasStaleOwnerRef(const Json& claim, const Json& owner, const char* api_version,
                      const char* kind) {
  for (const Json& ref : Refs(claim)) {
    if (MatchesRef(ref, owner, api_version, kind)) return GetStr(ref, {"uid"}) != Uid(owner);
  }
  return false;
}

bool HasUnexpectedController(const Json& claim, const Json& set, const Json& pod) {
  if (RetentionOf(set).RetainAll()) return false;
  for (const Json& ref : Refs(claim)) {
    if (MatchesRef(ref, set, kAppsV1, kStatefulSetKind)) {
      if (GetStr(ref, {"uid"}) != Uid(set)) return true;
      continue;
    }
    if (MatchesRef(ref, pod, "v1", "Pod")) {
      if (GetStr(ref, {"uid"}) != Uid(pod)) return true;
      continue;
    }
    if (IsControllerRef(ref)) return true;
  }
  return false;
}

bool ClaimOwnerUpToDate(const Json& claim, const Json& set, const Json& pod) {
  if (HasStaleOwnerRef(claim, set, kAppsV1, kStatefulSetKind) ||
      HasStaleOwnerRef(claim, pod, "v1", "Pod")) {
    return true;  // an earlier set or pod of this name manages it: not ours to touch
  }
  if (HasUnexpectedController(claim, set, pod)) {
    return !(HasOwnerRef(claim, set) || HasOwnerRef(claim, pod));
  }
  if (HasNonControllerOwner(claim, set, pod)) return false;
  RetentionPolicy p = RetentionOf(set);
  bool scaled_down = !InOrdinalRange(set, pod);
  bool want_set = p.delete_when_deleted && !(p.delete_when_scaled && scaled_down);
  bool want_pod = p.delete_when_scaled && scaled_down;
  return HasOwnerRef(claim, set) == want_set && HasOwnerRef(claim, pod) == want_pod;
}

Json ClaimOwnerRefsFor(const Json& claim, const Json& set, const Json& pod) {
  bool unexpected = HasUnexpectedController(claim, set, pod);
  Json refs = Json::array();
  for (const Json& ref : Refs(claim)) {
    if (MatchesRef(ref, set, kAppsV1, kStatefulSetKind) || MatchesRef(ref, pod, "v1", "Pod")) {
      continue;  // ours are re-added below as the policy says
    }
    refs.push_back(ref);
  }
  if (unexpected) return refs;
  RetentionPolicy p = RetentionOf(set);
  bool scaled_down = !InOrdinalRange(set, pod);
  if (p.delete_when_scaled && scaled_down) AddControllerRef(refs, pod, "v1", "Pod");
  if (p.delete_when_deleted && !(p.delete_when_scaled && scaled_down)) {
    AddControllerRef(refs, set, kAppsV1, kStatefulSetKind);
  }
  return refs;
}

}  // namespace capstan::controllers
