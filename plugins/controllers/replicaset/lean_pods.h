// Parsing only the parts of pods the ReplicaSet controller reads. A pod's spec (containers, env,
// volumes) and its metadata.managedFields are most of its text and none of the controller's
// business; skipping them while parsing avoids building that part of the document for every
// pod of the namespace on every sync. Used by replica_set_controller.cc; tests in
// tests/plugins/controllers/replicaset/lean_pods_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_LEAN_PODS_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_LEAN_PODS_H_

#include <optional>
#include <string_view>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

// One pod: `apiVersion`, `kind` and `metadata` without `managedFields` (what event mapping
// reads). nullopt when `pod_json` is not JSON.
std::optional<Json> ParsePodMetadata(std::string_view pod_json);

// A JSON array of pods, each with `apiVersion`, `kind`, `metadata` without `managedFields`,
// `status` and of its spec only `nodeName` (what claiming, expectations, status and the
// scale-down ranking read). nullopt when `pods_json` is not JSON.
std::optional<Json> ParsePodsForSync(std::string_view pods_json);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_LEAN_PODS_H_
