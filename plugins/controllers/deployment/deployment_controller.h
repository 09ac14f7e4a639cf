// The built-in Deployment controller (plugin `deployment`): owns ReplicaSets named
// <deployment>-<pod-template-hash>, rolls them with the RollingUpdate or Recreate strategy,
// scales proportionally, keeps revision annotations and history, cleans up old ReplicaSets, and
// reports status and the Available/Progressing conditions so `kubectl rollout status` and
// `kubectl rollout undo` work. Behaviour follows kube-controller-manager v1.32
// (pkg/controller/deployment). sync in deployment_controller.cc, strategies in rollout.cc,
// helpers in deployment_util.h; tests in tests/plugins/controllers/deployment/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CONTROLLER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kDeploymentPluginName[] = "deployment";
inline constexpr char kDeploymentPluginVersion[] = "1.0.0";
inline constexpr char kDeploymentPluginDescription[] =
    "Deployment controller (upstream v1.32 behaviour)";
inline constexpr char kDeploymentSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "resyncSeconds": {"type": "integer", "minimum": 0}
  }
})";

// Thread-safe: configuration is immutable after Init, the write overlay has its own mutex, and
// the host never reconciles one key on two workers at once.
class DeploymentController final : public sdk::ControllerPlugin {
 public:
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // Primary apps/v1/deployments; ReplicaSets map to their controller owner ("owner"); pods map
  // through their ReplicaSet's owner ("plugin"), which Recreate needs to see old pods go.
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // OK when the step of this sync is done (requeued for the progress deadline when one is
  // pending); RETRY_LATER when the cache is not ready or the API asks to retry (409/429/5xx,
  // hash collisions); ERROR on other API failures.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  void SetClockForTesting(Clock clock);

  // One sync's view: the deployment (a working copy) and the ReplicaSets it controls.
  struct Sync {
    sdk::Call* call;
    Json d;
    std::vector<Json> rss;  // controlled, newest writes applied
    Json pods;              // pods of the namespace (Recreate)
    int new_rs = -1;        // index into rss, -1 when there is none yet
    uint64_t requeue_after_ms = 0;
    const Json* NewRs() const { return new_rs < 0 ? nullptr : &rss[static_cast<size_t>(new_rs)]; }
    std::vector<const Json*> Olds() const;
    std::vector<const Json*> All() const;
  };

 private:
  // deployment_controller.cc
  sdk::Status ClaimReplicaSets(Sync& s, const Selector& selector);
  // Finds the new RS (template equal ignoring the hash), syncs its annotations and the
  // deployment's revision; creates it when `create` and it is missing.
  sdk::Status SyncRevision(Sync& s, bool create);
  sdk::Status CreateNewReplicaSet(Sync& s, const std::string& revision);
  sdk::Status UpdateReplicaSet(Sync& s, size_t index, Json updated);
  sdk::Status ScaleReplicaSet(Sync& s, size_t index, int64_t replicas);
  sdk::Status PatchDeploymentAnnotations(Sync& s, const Json& annotations);
  sdk::Status WriteStatus(Sync& s, const Json& status);
  Json CalculateStatus(const Sync& s) const;

  // rollout.cc
  sdk::Status RolloutRolling(Sync& s);
  sdk::Status RolloutRecreate(Sync& s);
  sdk::Status ScaleOnly(Sync& s);  // paused or a scaling event (upstream `sync`)
  sdk::Status Scale(Sync& s);
  sdk::Status ReconcileNewReplicaSet(Sync& s, bool* scaled);
  sdk::Status ReconcileOldReplicaSets(Sync& s, bool* scaled);
  sdk::Status CleanupDeployment(Sync& s);
  sdk::Status SyncRolloutStatus(Sync& s);
  sdk::Status SyncDeploymentStatus(Sync& s);
  bool OldPodsRunning(const Sync& s) const;
  bool IsScalingEvent(const Sync& s) const;
  int64_t NewRsNewReplicas(const Sync& s) const;

  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 5;
  int64_t resync_seconds_ = 0;
  Clock clock_ = SystemNow;
  WriteOverlay overlay_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CONTROLLER_H_
