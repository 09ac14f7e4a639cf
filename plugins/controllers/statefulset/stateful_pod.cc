// StatefulSet pod identity and state (see stateful_pod.h).
#include "plugins/controllers/statefulset/stateful_pod.h"

#include <set>

namespace capstan::controllers {
namespace {

Json& ObjectField(Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_object()) j[key] = Json::object();
  return j[key];
}

}  // namespace

int64_t SetReplicas(const Json& set) { return GetNum(set, {"spec", "replicas"}, 1); }

int64_t StartOrdinal(const Json& set) { return GetNum(set, {"spec", "ordinals", "start"}, 0); }

int64_t EndOrdinal(const Json& set) { return StartOrdinal(set) + SetReplicas(set) - 1; }

bool AllowsBurst(const Json& set) {
  return GetStr(set, {"spec", "podManagementPolicy"}) == "Parallel";
}

bool IsOnDelete(const Json& set) {
  return GetStr(set, {"spec", "updateStrategy", "type"}) == "OnDelete";
}

int64_t Partition(const Json& set) {
  return GetNum(set, {"spec", "updateStrategy", "rollingUpdate", "partition"}, 0);
}

bool ParseOrdinal(std::string_view pod_name, std::string* parent, int64_t* ordinal) {
  size_t dash = pod_name.rfind('-');
  if (dash == std::string_view::npos || dash + 1 == pod_name.size()) return false;
  std::string_view digits = pod_name.substr(dash + 1);
  if (digits.size() > 9) return false;  // upstream parses into an int32
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *parent = std::string(pod_name.substr(0, dash));
  *ordinal = value;
  return true;
}

int64_t OrdinalOf(const Json& pod) {
  std::string parent;
  int64_t ordinal = -1;
  return ParseOrdinal(Name(pod), &parent, &ordinal) ? ordinal : -1;
}

bool IsMemberOf(const Json& set, const Json& pod) {
  std::string parent;
  int64_t ordinal = -1;
  return ParseOrdinal(Name(pod), &parent, &ordinal) && parent == Name(set);
}

bool InOrdinalRange(const Json& set, const Json& pod) {
  int64_t ordinal = OrdinalOf(pod);
  return ordinal >= StartOrdinal(set) && ordinal <= EndOrdinal(set);
}

std::string PodName(const Json& set, int64_t ordinal) {
  return Name(set) + "-" + std::to_string(ordinal);
}

std::string ClaimName(std::string_view claim_template, std::string_view set_name, int64_t ordinal) {
  return std::string(claim_template) + "-" + std::string(set_name) + "-" + std::to_string(ordinal);
}

std::string PodRevision(const Json& pod) {
  return GetStr(pod, {"metadata", "labels", kControllerRevisionHashLabel});
}

bool IdentityMatches(const Json& set, const Json& pod) {
  std::string parent;
  int64_t ordinal = -1;
  if (!ParseOrdinal(Name(pod), &parent, &ordinal) || parent != Name(set)) return false;
  return Name(pod) == PodName(set, ordinal) && Namespace(pod) == Namespace(set) &&
         GetStr(pod, {"metadata", "labels", kPodNameLabel}) == Name(pod) &&
         GetStr(pod, {"metadata", "labels", kPodIndexLabel}) == std::to_string(ordinal);
}

bool StorageMatches(const Json& set, const Json& pod) {
  int64_t ordinal = OrdinalOf(pod);
  if (ordinal < 0) return false;
  const Json* templates = sdk::json::FindPath(set, {"spec", "volumeClaimTemplates"});
  if (templates == nullptr || !templates->is_array()) return true;
  const Json* volumes = sdk::json::FindPath(pod, {"spec", "volumes"});
  for (const Json& t : *templates) {
    std::string name = GetStr(t, {"metadata", "name"});
    bool found = false;
    for (const Json& v : volumes != nullptr && volumes->is_array() ? *volumes : Json::array()) {
      if (GetStr(v, {"name"}) != name) continue;
      found =
          GetStr(v, {"persistentVolumeClaim", "claimName"}) == ClaimName(name, Name(set), ordinal);
      break;
    }
    if (!found) return false;
  }
  return true;
}

void UpdateIdentity(const Json& set, Json& pod) {
  int64_t ordinal = OrdinalOf(pod);
  Json& meta = ObjectField(pod, "metadata");
  meta["name"] = PodName(set, ordinal);
  meta["namespace"] = Namespace(set);
  Json& labels = ObjectField(meta, "labels");
  labels[kPodNameLabel] = meta["name"];
  labels[kPodIndexLabel] = std::to_string(ordinal);
}

void UpdateStorage(const Json& set, Json& pod) {
  std::vector<std::pair<std::string, Json>> claims = PodClaims(set, OrdinalOf(pod));
  Json volumes = Json::array();
  std::set<std::string> claimed;
  for (const auto& [name, claim] : claims) {
    claimed.insert(name);
    volumes.push_back({{"name", name}, {"persistentVolumeClaim", {{"claimName", Name(claim)}}}});
  }
  Json& spec = ObjectField(pod, "spec");
  if (spec.contains("volumes") && spec["volumes"].is_array()) {
    for (const Json& v : spec["volumes"]) {
      if (claimed.count(GetStr(v, {"name"})) == 0) volumes.push_back(v);
    }
  }
  if (volumes.empty()) {
    spec.erase("volumes");
  } else {
    spec["volumes"] = std::move(volumes);
  }
}

std::vector<std::pair<std::string, Json>> PodClaims(const Json& set, int64_t ordinal) {
  std::vector<std::pair<std::string, Json>> out;
  const Json* templates = sdk::json::FindPath(set, {"spec", "volumeClaimTemplates"});
  if (templates == nullptr || !templates->is_array()) return out;
  const Json* match = sdk::json::FindPath(set, {"spec", "selector", "matchLabels"});
  for (const Json& t : *templates) {
    if (!t.is_object()) continue;
    std::string name = GetStr(t, {"metadata", "name"});
    Json claim = t;
    claim.erase("status");
    claim["apiVersion"] = "v1";
    claim["kind"] = "PersistentVolumeClaim";
    Json& meta = ObjectField(claim, "metadata");
    meta.erase("creationTimestamp");
    meta["name"] = ClaimName(name, Name(set), ordinal);
    meta["namespace"] = Namespace(set);
    if (match != nullptr && match->is_object()) {
      Json& labels = ObjectField(meta, "labels");
      for (const auto& [k, v] : match->items()) labels[k] = v;
    }
    out.emplace_back(name, std::move(claim));
  }
  return out;
}

Json NewStatefulPod(const Json& set, int64_t ordinal, const std::string& revision) {
  const Json* tmpl = sdk::json::FindPath(set, {"spec", "template"});
  Json meta = Json::object();
  for (const char* field : {"labels", "annotations", "finalizers"}) {
    if (tmpl == nullptr) break;
    if (const Json* v = sdk::json::FindPath(*tmpl, {"metadata", field});
        v != nullptr && !v->is_null()) {
      meta[field] = *v;
    }
  }
  meta["generateName"] = Name(set) + "-";
  meta["name"] = PodName(set, ordinal);
  meta["ownerReferences"] = Json::array({NewControllerRef(set, kAppsV1, kStatefulSetKind)});
  const Json* spec = tmpl != nullptr ? sdk::json::Find(*tmpl, "spec") : nullptr;
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", meta},
              {"spec", spec != nullptr && spec->is_object() ? *spec : Json::object()}};
  UpdateIdentity(set, pod);
  pod["spec"]["hostname"] = Name(pod);
  std::string service = GetStr(set, {"spec", "serviceName"});
  if (!service.empty()) pod["spec"]["subdomain"] = service;
  UpdateStorage(set, pod);
  pod["metadata"]["labels"][kControllerRevisionHashLabel] = revision;
  return pod;
}

Json NewVersionedPod(const Json& current_set, const Json& update_set,
                     const std::string& current_revision, const std::string& update_revision,
                     int64_t ordinal) {
  bool has_partition = Has(current_set, {"spec", "updateStrategy", "rollingUpdate", "partition"});
  if (has_partition && ordinal < StartOrdinal(current_set) + Partition(current_set)) {
    return NewStatefulPod(current_set, ordinal, current_revision);
  }
  return NewStatefulPod(update_set, ordinal, update_revision);
}

Json SetAtRevision(const Json& set, const Json& revision) {
  Json out = set;
  const Json* tmpl = sdk::json::FindPath(revision, {"data", "spec", "template"});
  if (tmpl == nullptr || !tmpl->is_object()) return out;
  Json t = *tmpl;
  t.erase("$patch");
  ObjectField(out, "spec")["template"] = std::move(t);
  return out;
}

bool IsCreated(const Json& pod) { return !GetStr(pod, {"status", "phase"}).empty(); }

bool IsPodPhase(const Json& pod, std::string_view phase) {
  return GetStr(pod, {"status", "phase"}) == phase;
}

bool IsRunningAndReady(const Json& pod) { return IsPodPhase(pod, "Running") && IsPodReady(pod); }

bool IsRunningAndAvailable(const Json& pod, int64_t min_ready_seconds, int64_t now) {
  return IsPodPhase(pod, "Running") && IsPodAvailable(pod, min_ready_seconds, now);
}

bool IsHealthy(const Json& pod) { return IsRunningAndReady(pod) && !Deleting(pod); }

}  // namespace capstan::controllers
