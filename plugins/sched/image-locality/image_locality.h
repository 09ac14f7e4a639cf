// `ImageLocality` (PreScore, Score): prefers nodes that already hold the pod's container images,
// weighted by image size and by how widely the image is spread across the cluster. Exported by
// plugin.cc; tested in tests/plugins/sched/image-locality/.
#ifndef CAPSTAN_PLUGINS_SCHED_IMAGE_LOCALITY_IMAGE_LOCALITY_H_
#define CAPSTAN_PLUGINS_SCHED_IMAGE_LOCALITY_IMAGE_LOCALITY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "capstan/sdk/sched.h"
#include "plugins/sched/common/cycle_cache.h"

namespace capstan::sched {

inline constexpr char kImageLocalityName[] = "image-locality";

// upstream's thresholds.
inline constexpr int64_t kMiB = 1024 * 1024;
inline constexpr int64_t kImageMinThreshold = 23 * kMiB;
inline constexpr int64_t kImageMaxContainerThreshold = 1000 * kMiB;

// Whether node image name `node_image` is pod image `pod_image` after upstream's normalization
// (a name without a tag or digest means ":latest").
bool SameImage(std::string_view pod_image, std::string_view node_image);
// upstream's calculatePriority: maps the summed scaled sizes into [0, 100].
int64_t ImageScore(int64_t sum_scores, int64_t num_containers);

// Stateless apart from one integer per cycle (in cycle state, and in a `CycleCache` that Score
// reads without a host call); thread-safe.
class ImageLocality final : public sdk::SchedPlugin {
 public:
  // Counts the nodes of the cycle's snapshot (see README) and stores the count under the cycle
  // key "image-locality". OK (never skips).
  sdk::Status PreScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                       const sdk::NodeList& nodes) override;
  // For each pod image on the node: size * (nodes holding it / all nodes), summed and scaled.
  sdk::Status Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                    const sdk::NodeView& node, int64_t* score) override;

 private:
  CycleCache<uint32_t> total_{std::string(kImageLocalityName) + "/total"};
};

// The number of nodes in the cycle's snapshot: the first index for which
// "capstan_host_sched_node_pods_v1" returns NOT_FOUND, searched from `at_least`; `at_least`
// when the host never says NOT_FOUND below 2^20.
uint32_t SnapshotNodeCount(const sdk::Cycle& cycle, uint32_t at_least);

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_IMAGE_LOCALITY_IMAGE_LOCALITY_H_
