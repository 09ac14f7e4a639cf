// Status of a ReplicaSet / ReplicationController as upstream v1.32 computes it (replicas,
// fullyLabeledReplicas, readyReplicas, availableReplicas with minReadySeconds,
// observedGeneration, the ReplicaFailure condition) and its write through the status
// subresource (kit/api.h). Tests in
// tests/plugins/controllers/replicaset/replica_set_controller_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_REPLICA_SET_STATUS_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_REPLICA_SET_STATUS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "capstan/sdk/call.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

// The status `owner` should have given the active pods it controls (as counted before this
// sync's creates/deletes, like upstream) and the outcome of managing replicas. Zero counts are
// omitted, as upstream's omitempty serialization does.
Json CalculateReplicaStatus(const Json& owner, const std::vector<const Json*>& owned,
                            const sdk::Status& manage_result, int64_t now);

// A merge patch of the status subresource when `desired` differs from the current status
// (fields no longer present are sent as null). OK when nothing changed or the patch applied.
sdk::Status WriteStatusIfChanged(sdk::Call& call, const std::string& status_path, const Json& owner,
                                 const Json& desired);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_REPLICA_SET_STATUS_H_
