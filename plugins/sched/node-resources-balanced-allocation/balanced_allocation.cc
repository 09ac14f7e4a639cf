// Balanced resource allocation scoring; see balanced_allocation.h.
#include "plugins/sched/node-resources-balanced-allocation/balanced_allocation.h"

#include <cmath>

#include "capstan/sdk/json.h"
#include "plugins/sched/common/sched_util.h"

namespace capstan::sched {

sdk::Status BalancedAllocation::Init(const sdk::Host& host, std::string_view config_json) {
  (void)host;
  std::optional<sdk::json::Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  return ParseResourceSpecs(sdk::json::GetArray(*config, "resources"), &resources_);
}

sdk::Status BalancedAllocation::PreScore(sdk::Call& call, sdk::Cycle& cycle,
                                         const sdk::PodView& pod, const sdk::NodeList& nodes) {
  (void)call, (void)cycle, (void)nodes;
  for (const ResourceSpec& r : resources_) {
    if (ResourceOf(pod.requests(), r) != 0) return sdk::Status::Ok();
  }
  return sdk::Status::Skip();
}

sdk::Status BalancedAllocation::Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                      const sdk::NodeView& node, int64_t* score) {
  (void)call, (void)cycle;
  const capstan_sched_resources want = pod.requests();
  const capstan_sched_resources alloc = node.allocatable();
  const capstan_sched_resources used = node.requested();
  // Few resources are configured (cpu and memory by default); a fixed buffer avoids allocating.
  double fractions[16];
  size_t n = 0;
  double total = 0;
  for (const ResourceSpec& r : resources_) {
    int64_t pod_req = ResourceOf(want, r);
    if (pod_req == 0 && r.kind == ResourceKind::kScalar) continue;
    int64_t capacity = ResourceOf(alloc, r);
    if (capacity == 0 || n == sizeof(fractions) / sizeof(fractions[0])) continue;
    double f = static_cast<double>(ResourceOf(used, r) + pod_req) / static_cast<double>(capacity);
    if (f > 1) f = 1;
    fractions[n++] = f;
    total += f;
  }
  double std_dev = 0;
  if (n == 2) {
    std_dev = std::fabs((fractions[0] - fractions[1]) / 2);
  } else if (n > 2) {
    double mean = total / static_cast<double>(n);
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += (fractions[i] - mean) * (fractions[i] - mean);
    std_dev = std::sqrt(sum / static_cast<double>(n));
  }
  *score = static_cast<int64_t>((1 - std_dev) * static_cast<double>(kMaxNodeScore));
  return sdk::Status::Ok();
}

}  // namespace capstan::sched
