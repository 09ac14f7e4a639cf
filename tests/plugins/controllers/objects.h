// Builders of the Kubernetes objects the controller plugin tests put in the FakeHost cache
// (pods, ReplicaSets, Deployments) with only the fields the controllers read.
#ifndef CAPSTAN_TESTS_PLUGINS_CONTROLLERS_OBJECTS_H_
#define CAPSTAN_TESTS_PLUGINS_CONTROLLERS_OBJECTS_H_

#include <map>
#include <string>

#include "capstan/sdk/json.h"

namespace capstan::controllers::testing {

using Json = sdk::json::Json;

inline constexpr int64_t kNow = 1700000000;  // 2023-11-14T22:13:20Z
inline constexpr char kNowText[] = "2023-11-14T22:13:20Z";

inline Json OwnerRef(const std::string& kind, const std::string& name, const std::string& uid,
                     const std::string& api_version = "apps/v1") {
  return Json{{"apiVersion", api_version},
              {"kind", kind},
              {"name", name},
              {"uid", uid},
              {"controller", true},
              {"blockOwnerDeletion", true}};
}

// A running, scheduled, ready pod (since `ready_since`) unless changed by the caller.
inline Json Pod(const std::string& name, Json labels, const std::string& ready_since = "",
                const std::string& ns = "default") {
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata",
               {{"name", name},
                {"namespace", ns},
                {"uid", "uid-" + name},
                {"resourceVersion", "10"},
                {"creationTimestamp", "2023-11-14T20:00:00Z"},
                {"labels", labels}}},
              {"spec", {{"nodeName", "node-1"}, {"containers", Json::array()}}},
              {"status", {{"phase", "Running"}}}};
  if (!ready_since.empty()) {
    pod["status"]["conditions"] =
        Json::array({{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", ready_since}}});
  }
  return pod;
}

inline std::map<std::string, std::string> LabelMap(const Json& o) {
  std::map<std::string, std::string> out;
  if (o.contains("metadata") && o["metadata"].contains("labels")) {
    for (const auto& [k, v] : o["metadata"]["labels"].items()) out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace capstan::controllers::testing

#endif  // CAPSTAN_TESTS_PLUGINS_CONTROLLERS_OBJECTS_H_
