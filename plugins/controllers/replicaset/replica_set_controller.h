// The built-in ReplicaSet / ReplicationController controller (plugin `replicaset`): keeps
// `spec.replicas` active pods for each object, adopting matching orphans and releasing pods that
// stopped matching, and reports status. One library serves both kinds; the instance's config
// picks which. Behaviour follows kube-controller-manager v1.32 (pkg/controller/replicaset).
// Exported by plugin.cc; helpers in pod_ranking.h and replica_set_status.h; tests in
// tests/plugins/controllers/replicaset/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_REPLICA_SET_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_REPLICA_SET_CONTROLLER_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/expectations.h"
#include "plugins/controllers/kit/object_util.h"
#include "plugins/controllers/replicaset/event_spam_filter.h"
#include "plugins/controllers/replicaset/pending_creates.h"
#include "plugins/controllers/replicaset/pod_change_filter.h"

namespace capstan::controllers {

inline constexpr char kReplicaSetPluginName[] = "replicaset";
inline constexpr char kReplicaSetPluginVersion[] = "1.0.0";
inline constexpr char kReplicaSetPluginDescription[] =
    "ReplicaSet and ReplicationController controller (upstream v1.32 behaviour)";
inline constexpr char kReplicaSetSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "kind": {"enum": ["ReplicaSet", "ReplicationController"]},
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "burstReplicas": {"type": "integer", "minimum": 1},
    "resyncSeconds": {"type": "integer", "minimum": 0}
  }
})";

// What differs between the two kinds.
struct WorkloadKind {
  std::string kind;           // "ReplicaSet"
  std::string api_version;    // "apps/v1"
  std::string plural;         // "replicasets"
  bool map_selector = false;  // ReplicationController: spec.selector is a plain map
  // The host's resource name, "apps/v1/replicasets" or "/v1/replicationcontrollers".
  std::string Resource() const {
    return (api_version.find('/') == std::string::npos ? "/" : "") + api_version + "/" + plural;
  }
};

// Thread-safe: configuration is immutable after Init; expectations and the event filter have
// their own mutexes; the host never reconciles one key on two workers at once. Pod creates of
// one sync run concurrently on the host's executor (slow_start.h).
class ReplicaSetController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // Primary: the configured kind; pods are mapped by the plugin (owner, or orphans to every
  // object of the namespace whose selector matches them, as upstream's getPodReplicaSets).
  // Pod updates that change nothing a sync reads map to no key (pod_change_filter.h).
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // OK when in sync (requeue for minReadySeconds when pods still have to become available);
  // RETRY_LATER when the cache is not ready, expectations are outstanding past a retry, or the
  // API asks to retry; ERROR when a pod create/delete fails otherwise.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  // Tests: a fixed clock (unix seconds).
  void SetClockForTesting(Clock clock);
  const WorkloadKind& kind() const { return kind_; }

 private:
  // Adopts orphans matching `selector` and releases owned pods that no longer match; returns
  // the active pods this object controls afterwards, pointing into `pods` or, for pods it
  // adopted, into `adopted` (the server's copies).
  sdk::Status ClaimPods(sdk::Call& call, const Json& owner, const Selector& selector,
                        const Json& pods, std::vector<const Json*>* owned,
                        std::deque<Json>* adopted);
  // Creates or deletes pods towards spec.replicas; records expectations.
  sdk::Status ManageReplicas(sdk::Call& call, const std::string& key, const Json& owner,
                             const std::vector<const Json*>& owned);
  sdk::Status CreatePods(sdk::Call& call, const std::string& key, const Json& owner, int64_t count);
  sdk::Status DeletePods(sdk::Call& call, const std::string& key, const Json& owner,
                         const std::vector<const Json*>& owned, int64_t count);
  // Records an event about `owner` unless its spam-filter bucket is empty (thread-safe).
  void Event(sdk::Call& call, const Json& owner, std::string_view type, std::string_view reason,
             const std::string& message);
  std::optional<Selector> SelectorOf(const Json& owner) const;

  const sdk::Host* host_ = nullptr;
  WorkloadKind kind_;
  int64_t workers_ = 5;
  int64_t burst_replicas_ = 500;
  int64_t resync_seconds_ = 0;
  Clock clock_ = SystemNow;
  Expectations expectations_;
  EventSpamFilter events_;
  PendingCreates pending_;
  PodChangeFilter changes_;
  sdk::Metric pods_created_;
  sdk::Metric pods_deleted_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_REPLICASET_REPLICA_SET_CONTROLLER_H_
