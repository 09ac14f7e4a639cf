// The built-in StatefulSet controller (plugin `statefulset`): pods `<set>-<ordinal>` with stable
// identity and PersistentVolumeClaims from volumeClaimTemplates, OrderedReady or Parallel pod
// management, RollingUpdate (partition) and OnDelete through ControllerRevisions, ordered scale
// down and status. Behaviour follows kube-controller-manager v1.32 (pkg/controller/statefulset).
// Exported by plugin.cc; decisions in sync_plan.h; writes in pod_control.cc; revision history
// through ../kit/history.h. Tests in tests/plugins/controllers/statefulset/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_STATEFULSET_STATEFUL_SET_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_STATEFULSET_STATEFUL_SET_CONTROLLER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/kit/expectations.h"
#include "plugins/controllers/kit/object_util.h"
#include "plugins/controllers/statefulset/sync_plan.h"

namespace capstan::controllers {

inline constexpr char kStatefulSetPluginName[] = "statefulset";
inline constexpr char kStatefulSetPluginVersion[] = "1.0.0";
inline constexpr char kStatefulSetPluginDescription[] =
    "StatefulSet controller (upstream v1.32 behaviour)";
inline constexpr char kStatefulSetSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "resyncSeconds": {"type": "integer", "minimum": 0}
  }
})";

// Thread-safe: configuration is immutable after Init; expectations and the write overlay have
// their own mutexes; the host never reconciles one key on two workers at once.
class StatefulSetController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // Primary apps/v1/statefulsets; pods mapped by the plugin (owner, or orphans named after a set
  // whose selector matches); claims and revisions by owner.
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // OK when the actions of this sync were taken (requeued for minReadySeconds or outstanding
  // expectations); RETRY_LATER when the cache is not ready or the API asks to retry; ERROR when
  // a write fails otherwise.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  // Tests: a fixed clock (unix seconds).
  void SetClockForTesting(Clock clock);

 private:
  // Lists, claims and sorts the set's revisions; finds or creates the current and update ones
  // (upstream getStatefulSetRevisions).
  sdk::Status Revisions(sdk::Call& call, const Json& set, const Selector& selector,
                        std::vector<Json>* revisions, Json* current, Json* update,
                        int64_t* collision_count);
  // Deletes revisions no pod uses beyond revisionHistoryLimit (upstream truncateHistory).
  sdk::Status TruncateHistory(sdk::Call& call, const Json& set, const SetState& state,
                              const std::vector<Json>& revisions);

  // pod_control.cc: the plan's actions, in order, stopping at the first failure.
  sdk::Status Execute(sdk::Call& call, const std::string& key, const SetState& state,
                      const std::vector<PodAction>& actions);
  sdk::Status CreatePod(sdk::Call& call, const std::string& key, const SetState& state,
                        const Json& pod);
  sdk::Status DeletePod(sdk::Call& call, const std::string& key, const Json& set,
                        const PodAction& action);
  sdk::Status UpdatePod(sdk::Call& call, const SetState& state, const Json& pod);
  // Creates the claims of `pod` absent from the cache (upstream createPersistentVolumeClaims).
  sdk::Status CreateClaims(sdk::Call& call, const SetState& state, const Json& pod);
  // Rewrites the ownerReferences of the pod's claims that do not match the retention policy.
  sdk::Status FixClaimRefs(sdk::Call& call, const SetState& state, const Json& pod);
  void Event(sdk::Call& call, const Json& set, std::string_view type, std::string_view reason,
             const std::string& message);

  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 5;
  int64_t resync_seconds_ = 0;
  Clock clock_ = SystemNow;
  Expectations expectations_;
  WriteOverlay revisions_written_;  // revisions the cache may not show yet
  sdk::Metric pods_created_;
  sdk::Metric pods_deleted_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_STATEFULSET_STATEFUL_SET_CONTROLLER_H_
