// Pod volumes on the node, as the kubelet's volume manager sets them up under
// `<pod_dir>/volumes/<plugin>/<name>`: emptyDir (medium Memory -> tmpfs with sizeLimit),
// hostPath (with its type checks), configMap, secret (on tmpfs), downwardAPI and projected
// (written atomically by atomic_writer.h and refreshed on every call), and the container
// `mounts` (subPath, readOnly) handed to the runtime. Implementation in volumes.cc (+ projected
// payloads in volume_payload.cc); tests in tests/core/agent/volumes_test.cc.
// Thread-safety: functions; one caller per pod directory at a time.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/agent/atomic_writer.h"
#include "core/agent/env.h"
#include "core/common/status.h"

namespace capstan::agent {

struct VolumeContext {
  std::string pod_dir;  // <data_dir>/pods/<uid>
  PodFacts facts;       // the pod and its IPs (downwardAPI)
  ObjectGetter get;     // configmaps and secrets of the pod's namespace
};

// Host paths of the pod's volumes by name, and which ones the API forces read-only
// (configMap, secret, downwardAPI, projected).
struct PodVolumes {
  std::map<std::string, std::string> paths;
  std::map<std::string, bool> api_data;
};

// Sets up (or refreshes) every volume of `ctx.facts.pod`. Idempotent; refreshed payloads swap
// atomically. Errors carry the kubelet's FailedMount wording: `MountVolume.SetUp failed for
// volume "<name>" : <why>` (kNotFound for a missing non-optional object, kInvalid for a failed
// hostPath type check or an unsupported volume type, kInternal for filesystem errors).
Result<PodVolumes> SetUpVolumes(const VolumeContext& ctx);

// The payload of a configMap/secret/downwardAPI/projected volume source (`source` is the
// volume's member of that name, `type` its key). `*skip` is set when an optional source is
// absent (the volume is then left empty). Errors as SetUpVolumes without the prefix.
Result<std::vector<ProjectedFile>> VolumePayload(const VolumeContext& ctx, const std::string& type,
                                                 const nlohmann::json& source, bool* skip);

// `mounts` entries ({"containerPath", "hostPath", "readonly"}) for `container`'s volumeMounts.
// subPath is joined below the volume (created as a directory when absent); subPathExpr is
// expanded against `env`. Errors: kInvalid for a mount naming an unknown volume or a subPath
// that is absolute or contains "..".
Result<nlohmann::json> ContainerMounts(const nlohmann::json& container, const PodVolumes& volumes,
                                       const EnvList& env);

// Unmounts whatever tmpfs the pod's volumes used and deletes `pod_dir`. hostPath volumes are
// never touched. Errors: kInternal when something cannot be removed.
Status TearDownVolumes(const std::string& pod_dir);

}  // namespace capstan::agent
