// The NodeLifecycle controller (plugin `node-lifecycle`): watches Nodes, their Leases in
// kube-node-lease and the pods bound to them; marks a node's conditions Unknown when its last
// heartbeat is older than the grace period, keeps the not-ready/unreachable NoSchedule and
// NoExecute taints in line with its Ready condition, and evicts pods from NoExecute-tainted
// nodes (at once, or after their tolerationSeconds). Requeue-after timers, no polling.
// Decisions: node_health.h, taint_eviction.h. Exported by plugin.cc; tests in
// tests/plugins/controllers/node-lifecycle/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_NODE_LIFECYCLE_NODE_LIFECYCLE_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_NODE_LIFECYCLE_NODE_LIFECYCLE_CONTROLLER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/object_util.h"
#include "plugins/controllers/node-lifecycle/node_health.h"

namespace capstan::controllers {

inline constexpr char kNodeLifecyclePluginName[] = "node-lifecycle";
inline constexpr char kNodeLifecyclePluginVersion[] = "1.0.0";
inline constexpr char kNodeLifecyclePluginDescription[] =
    "NodeLifecycle controller: node heartbeats through Leases, not-ready/unreachable taints and "
    "taint-based eviction";
// Durations are seconds (integer) or "40s" / "2m" / "1h".
inline constexpr char kNodeLifecycleSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "definitions": {
    "duration": {"oneOf": [{"type": "integer", "minimum": 1},
                           {"type": "string", "pattern": "^[0-9]+(s|m|h)$"}]}
  },
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "nodeMonitorGracePeriod": {"$ref": "#/definitions/duration"},
    "nodeStartupGracePeriod": {"$ref": "#/definitions/duration"}
  }
})";

// Thread-safe: configuration and clock are fixed after Init (set_clock is for tests, before
// the first reconcile); the host never reconciles one node on two workers at once.
class NodeLifecycleController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object or a duration is malformed or not positive.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  void set_clock(Clock clock) { clock_ = std::move(clock); }
  const GracePeriods& grace() const { return grace_; }

  // Primary /v1/nodes; Leases (kube-node-lease) and bound pods map to their node.
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // Updates the node's conditions and taints and evicts the pods due. OK with
  // `*requeue_after_ms` set to when the node turns stale or the next pod is due (0: nothing
  // pending); RETRY_LATER when the cache is not ready or the API asks to retry; ERROR when a
  // write fails otherwise.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

 private:
  // Deletes the pods bound to `node` that its NoExecute taints evict by `now`; `*next` becomes
  // the earliest later eviction time (kNever when none).
  sdk::Status EvictPods(sdk::Call& call, const Json& node, int64_t now, int64_t* next);
  sdk::Status Evict(sdk::Call& call, const Json& pod, int64_t now);

  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 2;
  GracePeriods grace_;
  Clock clock_ = SystemNow;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_NODE_LIFECYCLE_NODE_LIFECYCLE_CONTROLLER_H_
