// Hollow cluster objects shared by the scheduler benches (scheduler_bench.cc: framework only;
// scheduler_api_bench.cc: through the API server): nodes with zone/instance-type labels and
// some taints, pending pods with requests, node selectors and tolerations, and kube-scheduler's
// default profile with its score weights.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace capstan::bench {

// Node `node-<i>`: hostname, zone (8 zones) and instance-type labels; every 10th tainted
// dedicated=infra:NoSchedule; 32 CPUs, 128Gi, 110 pods allocatable.
nlohmann::json HollowNode(size_t i);

// Pod `pod-<i>` in `ns`, label app=app-<i % 200>, 100m/128Mi, priority i % 3; every 5th selects
// instance-type medium, every 7th tolerates the infra taint; with `anti_affinity`, required
// anti-affinity to its own app per hostname.
nlohmann::json PendingPod(size_t i, const std::string& ns, bool anti_affinity);

struct ProfileEntry {
  std::string name;
  std::string library;  // relative to the plugin directory
  int weight;
};
// The default profile's filter and score plugins with upstream's weights (no binder).
const std::vector<ProfileEntry>& DefaultProfile();

}  // namespace capstan::bench
