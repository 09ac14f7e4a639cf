// The pod garbage collector (plugin `podgc`): force-deletes terminated pods beyond
// `terminatedPodGcThreshold` (evicted first, then oldest), pods bound to a node that no longer
// exists (after a quarantine and a fresh read of the node), and unscheduled pods being deleted;
// pods not yet terminal are first marked Failed (orphans with a DisruptionTarget condition).
// Behaviour follows kube-controller-manager v1.32 (pkg/controller/podgc), driven by pod and node
// events instead of a 20 s loop. Exported by plugin.cc; tests in tests/plugins/controllers/podgc/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_PODGC_PODGC_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_PODGC_PODGC_CONTROLLER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kPodGcPluginName[] = "podgc";
inline constexpr char kPodGcPluginVersion[] = "1.0.0";
inline constexpr char kPodGcPluginDescription[] =
    "Pod garbage collector: terminated pods over a threshold, orphaned and unscheduled "
    "terminating pods";
inline constexpr char kPodGcSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "terminatedPodGcThreshold": {"type": "integer", "minimum": 0},
    "quarantineSeconds": {"type": "integer", "minimum": 0}
  }
})";

// Thread-safe: configuration is immutable after Init; the terminated-pod index and the node
// quarantine have their own mutex.
class PodGcController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // Primary /v1/pods; a deleted node maps to the pods bound to it.
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // Reconciles one pod: indexes it when terminated (and collects the oldest terminated pods
  // over the threshold), collects it when orphaned past the quarantine (requeued until then)
  // or unscheduled and terminating. RETRY_LATER when a cache is not ready or the API asks to
  // retry; ERROR when a write fails otherwise.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  // Milliseconds since the epoch.
  void SetClockForTesting(std::function<int64_t()> now_ms) { now_ms_ = std::move(now_ms); }
  // How many terminated pods the index holds (tests).
  size_t TerminatedCount();

 private:
  // Orders collection victims: evicted pods first, then oldest creation, then key.
  using Rank = std::tuple<bool, int64_t, std::string>;
  // Records or forgets `key` in the terminated index.
  void Index(const std::string& key, const Json* pod);
  sdk::Status CollectTerminated(sdk::Call& call);
  sdk::Status HandleOrphan(sdk::Call& call, const Json& pod, uint64_t* requeue_after_ms);
  // Marks `pod` Failed (with `condition` when not NULL) unless terminal, then force-deletes it.
  sdk::Status MarkFailedAndDelete(sdk::Call& call, const Json& pod, const Json* condition);

  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 2;
  int64_t threshold_ = 12500;
  int64_t quarantine_ms_ = 40000;
  std::function<int64_t()> now_ms_;
  std::mutex mu_;
  std::map<std::string, Rank> terminated_;        // key -> its rank
  std::set<Rank> ranked_;                         // the same, in collection order
  std::map<std::string, int64_t> missing_since_;  // node -> when first seen missing (ms)
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_PODGC_PODGC_CONTROLLER_H_
