// Builders of StatefulSets and their pods for the statefulset plugin tests
// (tests/plugins/controllers/statefulset/): a set "web" in "default" with selector app=web, a
// volume claim template "www", and pods in the states the sync distinguishes.
#ifndef CAPSTAN_TESTS_PLUGINS_CONTROLLERS_STATEFULSET_STS_OBJECTS_H_
#define CAPSTAN_TESTS_PLUGINS_CONTROLLERS_STATEFULSET_STS_OBJECTS_H_

#include <string>

#include "capstan/sdk/json.h"
#include "tests/plugins/controllers/objects.h"

namespace capstan::controllers::testing {

inline Json StatefulSet(int64_t replicas, const std::string& policy = "OrderedReady") {
  return Json{
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata",
       {{"name", "web"},
        {"namespace", "default"},
        {"uid", "sts-uid"},
        {"generation", 3},
        {"resourceVersion", "7"}}},
      {"spec",
       {{"replicas", replicas},
        {"serviceName", "nginx"},
        {"podManagementPolicy", policy},
        {"selector", {{"matchLabels", {{"app", "web"}}}}},
        {"updateStrategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"partition", 0}}}}},
        {"revisionHistoryLimit", 10},
        {"template",
         {{"metadata", {{"labels", {{"app", "web"}}}}},
          {"spec", {{"containers", Json::array({{{"name", "nginx"}, {"image", "nginx:1"}}})}}}}},
        {"volumeClaimTemplates",
         Json::array({{{"metadata", {{"name", "www"}}},
                       {"spec",
                        {{"accessModes", Json::array({"ReadWriteOnce"})},
                         {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}}})}}},
      {"status", {{"replicas", 0}}}};
}

// How a test pod looks to the sync.
enum class PodState { kReady, kNotReady, kPending, kFailed, kTerminating };

// Pod `web-<ordinal>` owned by the set, at `revision`, in `state`.
inline Json SetPod(int64_t ordinal, const std::string& revision, PodState state) {
  std::string name = "web-" + std::to_string(ordinal);
  Json pod = Pod(
      name,
      {{"app", "web"},
       {"controller-revision-hash", revision},
       {"statefulset.kubernetes.io/pod-name", name},
       {"apps.kubernetes.io/pod-index", std::to_string(ordinal)}},
      state == PodState::kReady || state == PodState::kTerminating ? "2023-11-14T20:00:00Z" : "");
  pod["metadata"]["ownerReferences"] = Json::array({OwnerRef("StatefulSet", "web", "sts-uid")});
  pod["spec"]["volumes"] =
      Json::array({{{"name", "www"}, {"persistentVolumeClaim", {{"claimName", "www-" + name}}}}});
  if (state == PodState::kPending) pod["status"]["phase"] = "Pending";
  if (state == PodState::kFailed) pod["status"]["phase"] = "Failed";
  if (state == PodState::kTerminating) {
    pod["metadata"]["deletionTimestamp"] = "2023-11-14T22:00:00Z";
  }
  return pod;
}

}  // namespace capstan::controllers::testing

#endif  // CAPSTAN_TESTS_PLUGINS_CONTROLLERS_STATEFULSET_STS_OBJECTS_H_
