// Pods parsed without the parts the ReplicaSet controller never reads (see lean_pods.h).
#include "plugins/controllers/replicaset/lean_pods.h"

#include <string>
#include <vector>

namespace capstan::controllers {
namespace {

// Parses with a callback that drops members by their path below the pod object, which sits at
// `pod_depth` (0: the document is a pod; 1: an array of pods). nlohmann builds no values under a
// dropped member. `allow_exceptions` is off: a syntax error yields a discarded value.
std::optional<Json> ParseLean(std::string_view text, int pod_depth, bool keep_status) {
  std::vector<std::string> path;  // keys from the pod down: path[0] is a member of the pod
  Json::parser_callback_t keep = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event != Json::parse_event_t::key) return true;
    int level = depth - pod_depth - 1;  // 0 for a member of the pod
    if (level < 0) return true;
    if (path.size() <= static_cast<size_t>(level)) path.resize(static_cast<size_t>(level) + 1);
    const std::string& key = parsed.get_ref<const std::string&>();
    path[static_cast<size_t>(level)] = key;
    if (level == 0) {
      return key == "metadata" || key == "apiVersion" || key == "kind" ||
             (keep_status && (key == "status" || key == "spec"));
    }
    if (level == 1 && path[0] == "metadata") return key != "managedFields";
    if (level == 1 && path[0] == "spec") return key == "nodeName";
    return true;
  };
  Json j = Json::parse(text.begin(), text.end(), keep, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

}  // namespace

std::optional<Json> ParsePodMetadata(std::string_view pod_json) {
  return ParseLean(pod_json, 0, /*keep_status=*/false);
}

std::optional<Json> ParsePodsForSync(std::string_view pods_json) {
  return ParseLean(pods_json, 1, /*keep_status=*/true);
}

}  // namespace capstan::controllers
