// The built-in DaemonSet controller (plugin `daemonset`): one pod per eligible node, pinned to
// it with a `matchFields metadata.name` node affinity for the scheduler to bind; RollingUpdate
// (maxUnavailable / maxSurge) and OnDelete updates; ControllerRevisions for `kubectl rollout
// history/undo`; status. Behaviour follows kube-controller-manager v1.32 (pkg/controller/daemon).
// Exported by plugin.cc; decisions in daemon_plan.h, placement in daemon_placement.h, revisions
// through ../kit/history.h; tests in tests/plugins/controllers/daemonset/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_DAEMONSET_DAEMONSET_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_DAEMONSET_DAEMONSET_CONTROLLER_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/daemonset/daemon_plan.h"
#include "plugins/controllers/kit/expectations.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kDaemonSetPluginName[] = "daemonset";
inline constexpr char kDaemonSetPluginVersion[] = "1.0.0";
inline constexpr char kDaemonSetPluginDescription[] =
    "DaemonSet controller (upstream v1.32 behaviour)";
inline constexpr char kDaemonSetSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "burstReplicas": {"type": "integer", "minimum": 1},
    "resyncSeconds": {"type": "integer", "minimum": 0}
  }
})";

// Thread-safe: configuration is immutable after Init; expectations, the failed-pod backoff and
// the node fingerprints have their own mutexes; the host never reconciles one key on two workers.
class DaemonSetController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // Primary apps/v1/daemonsets; pods and nodes are mapped by the plugin, ControllerRevisions by
  // their owner.
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  // Pods: their controlling DaemonSet, or for orphans every DaemonSet of the namespace whose
  // selector matches. Nodes: every DaemonSet when a node appears or goes, or its labels or
  // taints change (other node updates, like heartbeats, map to nothing).
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // OK when in sync (requeued while expectations are outstanding, a failed pod backs off or pods
  // wait out minReadySeconds); RETRY_LATER when the cache is not ready, on a revision-hash
  // collision (after bumping status.collisionCount) or when the API asks to; ERROR when pod
  // creates or deletes fail otherwise.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  // Tests: a fixed clock (unix seconds).
  void SetClockForTesting(Clock clock);

 private:
  struct Sync;
  sdk::Status LoadNodes(Sync& s);
  sdk::Status LoadPods(sdk::Call& call, Sync& s);
  // Upstream constructHistory: claims revisions, finds (or snapshots) the current one, renumbers
  // it, and sets `s.hash` and `s.old_revisions`.
  sdk::Status ConstructHistory(sdk::Call& call, Sync& s);
  sdk::Status Snapshot(sdk::Call& call, Sync& s, int64_t revision, Json* current);
  sdk::Status DedupCurrent(sdk::Call& call, Sync& s, std::vector<Json> current, Json* kept);
  // Creates (slow start, at most burstReplicas) and deletes pods; records expectations/events.
  sdk::Status SyncNodes(sdk::Call& call, Sync& s, const DaemonActions& actions);
  sdk::Status CleanupHistory(sdk::Call& call, Sync& s);
  sdk::Status WriteStatus(sdk::Call& call, Sync& s, bool observe_generation);
  std::vector<std::string> AllDaemonSetKeys(std::string_view ns) const;
  // True when the node's labels or taints differ from the last event (or it is new/gone).
  bool NodeChanged(const Json& node, sdk::EventType type);

  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 2;
  int64_t burst_replicas_ = 250;
  int64_t resync_seconds_ = 0;
  Clock clock_ = SystemNow;
  Expectations expectations_;
  FailedPodBackoff backoff_;
  std::mutex nodes_mu_;
  std::map<std::string, std::string> node_fingerprints_;  // guarded by nodes_mu_
  sdk::Metric pods_created_;
  sdk::Metric pods_deleted_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_DAEMONSET_DAEMONSET_CONTROLLER_H_
