// Hollow cluster objects for the scheduler benches; see hollow_cluster.h.
#include "bench/hollow_cluster.h"

#include <cstdio>

namespace capstan::bench {

using nlohmann::json;

json HollowNode(size_t i) {
  char name[32];
  snprintf(name, sizeof(name), "node-%05zu", i);
  json taints = json::array();
  if (i % 10 == 0) {
    taints.push_back({{"key", "dedicated"}, {"value", "infra"}, {"effect", "NoSchedule"}});
  }
  return json{{"apiVersion", "v1"},
              {"kind", "Node"},
              {"metadata",
               {{"name", name},
                {"labels",
                 {{"kubernetes.io/hostname", name},
                  {"topology.kubernetes.io/zone", "zone-" + std::to_string(i % 8)},
                  {"node.kubernetes.io/instance-type", i % 3 == 0 ? "large" : "medium"}}}}},
              {"spec", {{"taints", taints}}},
              {"status", {{"allocatable", {{"cpu", "32"}, {"memory", "128Gi"}, {"pods", "110"}}}}}};
}

json PendingPod(size_t i, const std::string& ns, bool anti_affinity) {
  std::string app = "app-" + std::to_string(i % 200);
  json spec = {
      {"priority", static_cast<int>(i % 3)},
      {"containers",
       json::array({{{"name", "c"},
                     {"image", "registry.local/app:" + std::to_string(i % 4)},
                     {"resources", {{"requests", {{"cpu", "100m"}, {"memory", "128Mi"}}}}}}})}};
  if (i % 5 == 0) spec["nodeSelector"] = {{"node.kubernetes.io/instance-type", "medium"}};
  if (i % 7 == 0) {
    spec["tolerations"] = json::array({{{"key", "dedicated"},
                                        {"operator", "Equal"},
                                        {"value", "infra"},
                                        {"effect", "NoSchedule"}}});
  }
  if (anti_affinity) {
    spec["affinity"] = {{"podAntiAffinity",
                         {{"requiredDuringSchedulingIgnoredDuringExecution",
                           json::array({{{"labelSelector", {{"matchLabels", {{"app", app}}}}},
                                         {"topologyKey", "kubernetes.io/hostname"}}})}}}};
  }
  return json{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", "pod-" + std::to_string(i)}, {"namespace", ns}, {"labels", {{"app", app}}}}},
      {"spec", spec}};
}

const std::vector<ProfileEntry>& DefaultProfile() {
  static const std::vector<ProfileEntry> kProfile = {
      {"prioritysort", "sched/prioritysort.so", 1},
      {"node-unschedulable", "sched/node-unschedulable.so", 1},
      {"node-name", "sched/node-name.so", 1},
      {"taint-toleration", "sched/taint-toleration.so", 3},
      {"node-affinity", "sched/node-affinity.so", 2},
      {"node-ports", "sched/node-ports.so", 1},
      {"node-resources-fit", "sched/node-resources-fit.so", 1},
      {"pod-topology-spread", "sched/pod-topology-spread.so", 2},
      {"inter-pod-affinity", "sched/inter-pod-affinity.so", 2},
      {"balanced-allocation", "sched/node-resources-balanced-allocation.so", 1},
      {"image-locality", "sched/image-locality.so", 1}};
  return kProfile;
}

}  // namespace capstan::bench
