// Image locality scoring; see image_locality.h.
#include "plugins/sched/image-locality/image_locality.h"

#include <algorithm>
#include <charconv>

#include "plugins/sched/common/sched_util.h"

namespace capstan::sched {
namespace {

bool NodeIndexExists(const sdk::Cycle& cycle, uint32_t index) {
  capstan_sched_node_view probe{};
  probe.struct_size = sizeof(probe);
  probe.index = index;
  sdk::Span<capstan_sched_pod_view> pods;
  return cycle.NodePods(sdk::NodeView(&probe), &pods).code() != CAPSTAN_RC_NOT_FOUND;
}

}  // namespace

bool SameImage(std::string_view pod_image, std::string_view node_image) {
  // Only equal names, or a node name exactly ":latest" longer, can match: most pairs differ in
  // length and need no byte comparison.
  constexpr std::string_view kLatest = ":latest";
  if (node_image.size() == pod_image.size()) return sdk::SameBytes(pod_image, node_image);
  if (node_image.size() != pod_image.size() + kLatest.size()) return false;
  size_t colon = pod_image.rfind(':');
  size_t slash = pod_image.rfind('/');
  bool untagged =
      colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash);
  return untagged && sdk::SameBytes(node_image.substr(0, pod_image.size()), pod_image) &&
         sdk::SameBytes(node_image.substr(pod_image.size()), kLatest);
}

int64_t ImageScore(int64_t sum_scores, int64_t num_containers) {
  int64_t max_threshold = kImageMaxContainerThreshold * num_containers;
  if (sum_scores < kImageMinThreshold) {
    sum_scores = kImageMinThreshold;
  } else if (sum_scores > max_threshold) {
    sum_scores = max_threshold;
  }
  if (max_threshold == kImageMinThreshold) return 0;
  return kMaxNodeScore * (sum_scores - kImageMinThreshold) / (max_threshold - kImageMinThreshold);
}

uint32_t SnapshotNodeCount(const sdk::Cycle& cycle, uint32_t at_least) {
  constexpr uint32_t kLimit = 1u << 20;
  if (at_least == 0) at_least = 1;
  // Exponential probe for an index past the end, then binary search for the first missing one.
  uint32_t lo = at_least - 1, hi = at_least;  // lo exists (a node of this cycle); hi unknown
  while (hi < kLimit && NodeIndexExists(cycle, hi)) {
    lo = hi;
    hi = std::min(kLimit, hi * 2);
  }
  if (hi >= kLimit) return at_least;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (NodeIndexExists(cycle, mid)) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

sdk::Status ImageLocality::PreScore(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                    const sdk::NodeList& nodes) {
  (void)call, (void)pod;
  uint32_t feasible_max = 0;
  for (size_t i = 0; i < nodes.size(); ++i) feasible_max = std::max(feasible_max, nodes[i].index());
  uint32_t total = std::max<uint32_t>(SnapshotNodeCount(cycle, feasible_max + 1),
                                      static_cast<uint32_t>(nodes.size()));
  (void)cycle.Write(kImageLocalityName, std::to_string(total));
  // The same count for Score without a host call and a parse per node.
  (void)total_.Put(cycle, std::make_shared<const uint32_t>(total));
  return sdk::Status::Ok();
}

sdk::Status ImageLocality::Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                 const sdk::NodeView& node, int64_t* score) {
  (void)call;
  uint32_t total = 0;
  if (std::shared_ptr<const uint32_t> cached = total_.Get(cycle)) {
    total = *cached;
  } else if (std::string_view stored; cycle.Read(kImageLocalityName, &stored).ok()) {
    std::from_chars(stored.data(), stored.data() + stored.size(), total);
  }
  if (total == 0) total = SnapshotNodeCount(cycle, node.index() + 1);
  sdk::StrList images = pod.images();
  int64_t sum = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    for (const capstan_sched_image& img : node.images()) {
      if (!SameImage(images[i], sdk::ToView(img.name))) continue;
      double spread = std::min(1.0, static_cast<double>(img.node_count) / total);
      sum += static_cast<int64_t>(static_cast<double>(img.size_bytes) * spread);
      break;
    }
  }
  *score = ImageScore(sum, static_cast<int64_t>(images.size()));
  return sdk::Status::Ok();
}

}  // namespace capstan::sched
