// ReplicaSet / ReplicationController status (see replica_set_status.h).
#include "plugins/controllers/replicaset/replica_set_status.h"

namespace capstan::controllers {

Json CalculateReplicaStatus(const Json& owner, const std::vector<const Json*>& owned,
                            const sdk::Status& manage_result, int64_t now) {
  const Json* current = sdk::json::Find(owner, "status");
  Json status = current != nullptr && current->is_object() ? *current : Json::object();
  Selector template_labels = Selector::FromMap(
      sdk::json::FindPath(owner, {"spec", "template", "metadata", "labels"}) != nullptr
          ? *sdk::json::FindPath(owner, {"spec", "template", "metadata", "labels"})
          : Json::object());
  int64_t min_ready = GetNum(owner, {"spec", "minReadySeconds"});
  int64_t fully_labeled = 0, ready = 0, available = 0;
  for (const Json* p : owned) {
    const Json& pod = *p;
    if (template_labels.Matches(Labels(pod))) ++fully_labeled;
    if (IsPodReady(pod)) {
      ++ready;
      if (IsPodAvailable(pod, min_ready, now)) ++available;
    }
  }

  Json conditions = status.contains("conditions") && status["conditions"].is_array()
                        ? status["conditions"]
                        : Json::array();
  int failure = FindCondition(conditions, "ReplicaFailure");
  if (!manage_result.ok() && failure < 0) {
    int64_t diff = static_cast<int64_t>(owned.size()) - GetNum(owner, {"spec", "replicas"}, 1);
    std::string reason = diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : "";
    conditions.push_back(Json{{"type", "ReplicaFailure"},
                              {"status", "True"},
                              {"lastTransitionTime", FormatTime(now)},
                              {"reason", reason},
                              {"message", manage_result.message()}});
  } else if (manage_result.ok() && failure >= 0) {
    conditions.erase(static_cast<size_t>(failure));
  }

  Json out = Json::object();
  out["replicas"] = static_cast<int64_t>(owned.size());
  auto set = [&](const char* field, int64_t v) {
    if (v != 0) out[field] = v;
  };
  set("fullyLabeledReplicas", fully_labeled);
  set("readyReplicas", ready);
  set("availableReplicas", available);
  set("observedGeneration", GetNum(owner, {"metadata", "generation"}));
  if (!conditions.empty()) out["conditions"] = conditions;
  return out;
}

}  // namespace capstan::controllers
