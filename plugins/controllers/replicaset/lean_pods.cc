// Pods parsed without the parts the ReplicaSet controller never reads (see lean_pods.h).
#include "plugins/controllers/replicaset/lean_pods.h"

#include "plugins/controllers/kit/json_subset.h"

namespace capstan::controllers {

std::optional<Json> ParsePodMetadata(std::string_view pod_json) {
  return ParseObjectMeta(pod_json);
}

std::optional<Json> ParsePodsForSync(std::string_view pods_json) {
  return PodStatusSubset().ParseArray(pods_json);
}

}  // namespace capstan::controllers
