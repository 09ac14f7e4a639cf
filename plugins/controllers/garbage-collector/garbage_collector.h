// The garbage collector (plugin `garbage-collector`): deletes objects whose owners are all gone
// (background cascading deletion), deletes the dependents of owners being deleted in the
// foreground and then removes their `foregroundDeletion` finalizer, and for owners deleted with
// `orphan` strips their ownerReferences from the dependents before removing that finalizer.
// Owners are matched by UID, never by name alone. Behaviour follows kube-controller-manager
// v1.32 (pkg/controller/garbagecollector). Exported by plugin.cc; graph in dependency_graph.h;
// tests in tests/plugins/controllers/garbage-collector/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_GARBAGE_COLLECTOR_GARBAGE_COLLECTOR_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_GARBAGE_COLLECTOR_GARBAGE_COLLECTOR_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/garbage-collector/dependency_graph.h"
#include "plugins/controllers/kit/discovery.h"

namespace capstan::controllers {

inline constexpr char kGarbageCollectorPluginName[] = "garbage-collector";
inline constexpr char kGarbageCollectorPluginVersion[] = "1.0.0";
inline constexpr char kGarbageCollectorPluginDescription[] =
    "Garbage collector: cascading deletion by ownerReferences (upstream v1.32 behaviour)";
inline constexpr char kGarbageCollectorSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "ignoredResources": {"type": "array", "items": {"type": "string"}}
  }
})";

// The work-queue keys of the collector: "gc:<uid>". Other keys (the primary's own) are ignored.
inline constexpr char kGcKeyPrefix[] = "gc:";

// Thread-safe: the graph and the discovered resources have their own mutexes; the host never
// reconciles one key on two workers at once.
class GarbageCollector final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // Discovers every resource that can be listed, watched and deleted (except events and the
  // configured `ignoredResources`, "<group>/<plural>" with "" for core) and watches them all
  // with "map": "plugin"; the primary is /v1/namespaces (its own keys are ignored).
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  // Feeds the graph; returns "gc:<uid>" keys for the objects to look at.
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // OK when done (or waiting on events), RETRY_LATER on conflicts and transient API failures.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  const DependencyGraph& graph() const { return graph_; }
  // Tests: the resources Describe would discover.
  void SetResourcesForTesting(std::vector<ApiResource> resources);

 private:
  enum class OwnerState { kSolid, kDangling, kWaiting };
  sdk::Status ProcessOrphan(sdk::Call& call, const GraphNode& owner, uint64_t* requeue_after_ms);
  sdk::Status ProcessForeground(sdk::Call& call, const GraphNode& owner,
                                uint64_t* requeue_after_ms);
  sdk::Status AttemptToDelete(sdk::Call& call, const GraphNode& node);
  sdk::Status ClassifyOwner(sdk::Call& call, const GraphNode& dependent, const OwnerLink& ref,
                            OwnerState* state);
  // GET the object of `node`, check its UID, drop ownerReferences to `owner_uids`, PUT it back
  // (its resourceVersion makes the write conditional). NOT_FOUND when it is gone.
  sdk::Status RemoveOwnerRefs(sdk::Call& call, const GraphNode& node,
                              const std::vector<std::string>& owner_uids);
  // Same read-check-write for dropping `finalizer` from `node`.
  sdk::Status RemoveFinalizer(sdk::Call& call, const GraphNode& node, std::string_view finalizer);
  sdk::Status DeleteObject(sdk::Call& call, const GraphNode& node, std::string_view policy);
  std::string PathOf(const GraphNode& node) const;
  const ApiResource* ResourceFor(std::string_view api_version, std::string_view kind) const;

  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 4;
  std::vector<std::string> ignored_;
  mutable std::mutex mu_;  // guards resources_
  std::vector<ApiResource> resources_;
  DependencyGraph graph_;
  sdk::Metric deleted_;
  sdk::Metric orphaned_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_GARBAGE_COLLECTOR_GARBAGE_COLLECTOR_H_
