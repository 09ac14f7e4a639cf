// Deployment helpers (see deployment_util.h).
#include "plugins/controllers/deployment/deployment_util.h"

#include <algorithm>
#include <cstdlib>

namespace capstan::controllers {
namespace {

// Semantic.DeepEqual treats nil and empty maps/lists alike; templates also carry
// "creationTimestamp": null. Dropping both makes JSON equality match upstream's.
Json Normalize(const Json& j) {
  if (j.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : j.items()) {
      Json n = Normalize(v);
      if (n.is_null() || ((n.is_object() || n.is_array()) && n.empty())) continue;
      out[k] = std::move(n);
    }
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (const Json& v : j) out.push_back(Normalize(v));
    return out;
  }
  return j;
}

Json WithoutHash(const Json& tmpl) {
  Json copy = tmpl;
  if (copy.is_object() && copy.contains("metadata") && copy["metadata"].is_object() &&
      copy["metadata"].contains("labels") && copy["metadata"]["labels"].is_object()) {
    copy["metadata"]["labels"].erase(kHashLabel);
  }
  return Normalize(copy);
}

bool IsSkippedAnnotation(const std::string& key) {
  return key == "kubectl.kubernetes.io/last-applied-configuration" || key == kRevision ||
         key == kRevisionHistory || key == kDesiredReplicas || key == kMaxReplicas ||
         key == "deprecated.deployment.rollback.to";
}

Json& Annotations(Json& obj) {
  Json& meta = obj["metadata"];
  if (!meta.contains("annotations") || !meta["annotations"].is_object()) {
    meta["annotations"] = Json::object();
  }
  return meta["annotations"];
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) return out;
    start = pos + 1;
  }
}

}  // namespace

bool EqualIgnoreHash(const Json& a, const Json& b) { return WithoutHash(a) == WithoutHash(b); }

int64_t Replicas(const Json& obj) { return GetNum(obj, {"spec", "replicas"}, 1); }

int64_t StatusCount(const Json& obj, std::string_view field) {
  return GetNum(obj, {"status", field});
}

int64_t SumReplicas(const std::vector<const Json*>& rss) {
  int64_t n = 0;
  for (const Json* rs : rss) n += rs != nullptr ? Replicas(*rs) : 0;
  return n;
}

int64_t SumStatus(const std::vector<const Json*>& rss, std::string_view field) {
  int64_t n = 0;
  for (const Json* rs : rss) n += rs != nullptr ? StatusCount(*rs, field) : 0;
  return n;
}

bool IsRollingUpdate(const Json& d) {
  return GetStr(d, {"spec", "strategy", "type"}, "RollingUpdate") == "RollingUpdate";
}

std::optional<int64_t> ScaledValue(const Json& v, int64_t total, bool round_up) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() < 2 || s.back() != '%') return std::nullopt;
  char* end = nullptr;
  long long pct = std::strtoll(s.c_str(), &end, 10);
  if (end != s.c_str() + s.size() - 1) return std::nullopt;
  int64_t num = static_cast<int64_t>(pct) * total;
  return round_up ? (num + 99) / 100 : num / 100;
}

void ResolveFenceposts(const Json& d, int64_t* surge, int64_t* unavailable) {
  int64_t desired = Replicas(d);
  const Json* ru = sdk::json::FindPath(d, {"spec", "strategy", "rollingUpdate"});
  const Json* s = ru != nullptr ? sdk::json::Find(*ru, "maxSurge") : nullptr;
  const Json* u = ru != nullptr ? sdk::json::Find(*ru, "maxUnavailable") : nullptr;
  *surge = ScaledValue(s != nullptr ? *s : Json("25%"), desired, true).value_or(0);
  *unavailable = ScaledValue(u != nullptr ? *u : Json("25%"), desired, false).value_or(0);
  if (*surge == 0 && *unavailable == 0) *unavailable = 1;
}

int64_t MaxSurge(const Json& d) {
  if (!IsRollingUpdate(d)) return 0;
  int64_t surge = 0, unavailable = 0;
  ResolveFenceposts(d, &surge, &unavailable);
  return surge;
}

int64_t MaxUnavailable(const Json& d) {
  if (!IsRollingUpdate(d) || Replicas(d) == 0) return 0;
  int64_t surge = 0, unavailable = 0;
  ResolveFenceposts(d, &surge, &unavailable);
  return std::min(unavailable, Replicas(d));
}

std::optional<int64_t> AnnotationInt(const Json& obj, std::string_view key) {
  std::string v = GetStr(obj, {"metadata", "annotations", key});
  if (v.empty()) return std::nullopt;
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(n);
}

int64_t Revision(const Json& rs) { return AnnotationInt(rs, kRevision).value_or(0); }

bool SetAnnotation(Json& obj, std::string_view key, const std::string& value) {
  Json& a = Annotations(obj);
  auto it = a.find(key);
  if (it != a.end() && it->is_string() && it->get_ref<const std::string&>() == value) return false;
  a[std::string(key)] = value;
  return true;
}

bool ReplicasAnnotationsNeedUpdate(const Json& rs, int64_t desired, int64_t max) {
  return GetStr(rs, {"metadata", "annotations", kDesiredReplicas}) != std::to_string(desired) ||
         GetStr(rs, {"metadata", "annotations", kMaxReplicas}) != std::to_string(max);
}

bool SetReplicasAnnotations(Json& rs, int64_t desired, int64_t max) {
  bool changed = SetAnnotation(rs, kDesiredReplicas, std::to_string(desired));
  return SetAnnotation(rs, kMaxReplicas, std::to_string(max)) || changed;
}

bool SetNewReplicaSetAnnotations(const Json& d, Json& rs, const std::string& new_revision,
                                 bool exists) {
  bool changed = false;
  if (const Json* da = sdk::json::FindPath(d, {"metadata", "annotations"});
      da != nullptr && da->is_object()) {
    for (const auto& [k, v] : da->items()) {
      if (IsSkippedAnnotation(k) || !v.is_string()) continue;
      changed = SetAnnotation(rs, k, v.get<std::string>()) || changed;
    }
  }
  std::string old_revision = GetStr(rs, {"metadata", "annotations", kRevision});
  int64_t old_int = 0;
  if (!old_revision.empty()) {
    std::optional<int64_t> parsed = AnnotationInt(rs, kRevision);
    if (!parsed) return false;  // upstream: unparsable revision, leave it
    old_int = *parsed;
  }
  int64_t new_int = std::strtoll(new_revision.c_str(), nullptr, 10);
  if (old_int < new_int) {
    SetAnnotation(rs, kRevision, new_revision);
    changed = true;
    if (!old_revision.empty()) {
      std::string history = GetStr(rs, {"metadata", "annotations", kRevisionHistory});
      if (history.empty()) {
        SetAnnotation(rs, kRevisionHistory, old_revision);
      } else {
        std::vector<std::string> olds = Split(history, ',');
        size_t total = history.size() + old_revision.size() + 1;
        size_t start = 0;
        while (total > kMaxRevisionHistoryChars && start < olds.size()) {
          total -= olds[start].size() + 1;
          ++start;
        }
        if (total <= kMaxRevisionHistoryChars) {
          std::string joined;
          for (size_t i = start; i < olds.size(); ++i) joined += olds[i] + ",";
          SetAnnotation(rs, kRevisionHistory, joined + old_revision);
        }
      }
    }
  }
  if (!exists && SetReplicasAnnotations(rs, Replicas(d), Replicas(d) + MaxSurge(d))) {
    changed = true;
  }
  return changed;
}

Json NewCondition(std::string_view type, std::string_view status, std::string_view reason,
                  std::string_view message, int64_t now) {
  std::string t = FormatTime(now);
  return Json{{"type", type},        {"status", status},
              {"lastUpdateTime", t}, {"lastTransitionTime", t},
              {"reason", reason},    {"message", message}};
}

const Json* GetCondition(const Json& status, std::string_view type) {
  const Json* conds = sdk::json::Find(status, "conditions");
  if (conds == nullptr) return nullptr;
  int i = FindCondition(*conds, type);
  return i < 0 ? nullptr : &(*conds)[static_cast<size_t>(i)];
}

void SetCondition(Json& status, Json condition) {
  std::string type = GetStr(condition, {"type"});
  if (const Json* current = GetCondition(status, type)) {
    if (GetStr(*current, {"status"}) == GetStr(condition, {"status"})) {
      if (GetStr(*current, {"reason"}) == GetStr(condition, {"reason"})) return;
      condition["lastTransitionTime"] = GetStr(*current, {"lastTransitionTime"});
    }
  }
  RemoveCondition(status, type);
  if (!status.contains("conditions") || !status["conditions"].is_array()) {
    status["conditions"] = Json::array();
  }
  status["conditions"].push_back(std::move(condition));
}

void RemoveCondition(Json& status, std::string_view type) {
  if (!status.is_object() || !status.contains("conditions")) return;
  Json& conds = status["conditions"];
  int i = FindCondition(conds, type);
  if (i >= 0) conds.erase(static_cast<size_t>(i));
  if (conds.empty()) status.erase("conditions");
}

bool HasProgressDeadline(const Json& d) {
  const Json* p = sdk::json::FindPath(d, {"spec", "progressDeadlineSeconds"});
  return p != nullptr && p->is_number_integer() && p->get<int64_t>() != 2147483647;
}

bool DeploymentComplete(const Json& d, const Json& s) {
  int64_t want = Replicas(d);
  return GetNum(s, {"updatedReplicas"}) == want && GetNum(s, {"replicas"}) == want &&
         GetNum(s, {"availableReplicas"}) == want &&
         GetNum(s, {"observedGeneration"}) >= GetNum(d, {"metadata", "generation"});
}

bool DeploymentProgressing(const Json& d, const Json& s) {
  const Json* old = sdk::json::Find(d, "status");
  Json o = old != nullptr ? *old : Json::object();
  int64_t old_old = GetNum(o, {"replicas"}) - GetNum(o, {"updatedReplicas"});
  int64_t new_old = GetNum(s, {"replicas"}) - GetNum(s, {"updatedReplicas"});
  return GetNum(s, {"updatedReplicas"}) > GetNum(o, {"updatedReplicas"}) || new_old < old_old ||
         GetNum(s, {"readyReplicas"}) > GetNum(o, {"readyReplicas"}) ||
         GetNum(s, {"availableReplicas"}) > GetNum(o, {"availableReplicas"});
}

bool DeploymentTimedOut(const Json& d, const Json& s, int64_t now) {
  if (!HasProgressDeadline(d)) return false;
  const Json* c = GetCondition(s, "Progressing");
  if (c == nullptr) return false;
  std::string reason = GetStr(*c, {"reason"});
  if (reason == "NewReplicaSetAvailable") return false;
  if (reason == "ProgressDeadlineExceeded") return true;
  std::optional<int64_t> from = ParseTime(GetStr(*c, {"lastUpdateTime"}));
  if (!from) return false;
  return *from + GetNum(d, {"spec", "progressDeadlineSeconds"}) < now;
}

bool CreatedBefore(const Json* a, const Json* b) {
  std::optional<int64_t> ta = ParseTime(GetStr(*a, {"metadata", "creationTimestamp"}));
  std::optional<int64_t> tb = ParseTime(GetStr(*b, {"metadata", "creationTimestamp"}));
  if (ta != tb) return ta.value_or(0) < tb.value_or(0);
  return Name(*a) < Name(*b);
}

}  // namespace capstan::controllers
